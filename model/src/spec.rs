//! The on-disk spec format (`spec/**/*.yaml`), exactly as documented in `spec/README.md`.
//!
//! These types only mirror the YAML; [`crate::load`] reads the files into them and
//! [`crate::ir`] validates them into the generator's intermediate representation.
//! Every struct denies unknown keys so that a typo in a spec file is an error, not a silent no-op.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// One path file: HTTP method → operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get: Option<Operation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<Operation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub put: Option<Operation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<Operation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<Operation>,
}

impl PathFile {
    /// The operations in a fixed order (the order methods are emitted in).
    pub fn operations(&self) -> impl Iterator<Item = (Method, &Operation)> {
        [
            (Method::Get, &self.get),
            (Method::Post, &self.post),
            (Method::Put, &self.put),
            (Method::Patch, &self.patch),
            (Method::Delete, &self.delete),
        ]
        .into_iter()
        .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
    }

    /// The operations in the same order, to change them in place.
    pub fn operations_mut(&mut self) -> impl Iterator<Item = (Method, &mut Operation)> {
        [
            (Method::Get, &mut self.get),
            (Method::Post, &mut self.post),
            (Method::Put, &mut self.put),
            (Method::Patch, &mut self.patch),
            (Method::Delete, &mut self.delete),
        ]
        .into_iter()
        .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
    }
}

/// An HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// Lower-case, as written in spec files and used for method names (`post`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }
}

/// One operation (a method of a path).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    /// Path placeholders, by name.
    #[serde(
        default,
        deserialize_with = "unique_keys",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub path: IndexMap<String, Schema>,
    /// Query parameters, by name.
    #[serde(
        default,
        deserialize_with = "unique_keys",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub query: IndexMap<String, Schema>,
    /// Request headers the caller supplies, by header name.
    #[serde(
        default,
        deserialize_with = "unique_keys",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub headers: IndexMap<String, Schema>,
    /// The JSON request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Schema>,
    /// A multipart/form-data upload instead of a JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<Upload>,
    /// Another host serves this operation (`https://apihk.mch.weixin.qq.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    /// APIv2 (`spec/v2/`): the operation needs the merchant API certificate (mutual TLS).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cert_required: bool,
    /// APIv2: how requests are signed by default, `MD5` or `HMAC-SHA256` (when the operation
    /// accepts only that one); absent: `MD5`, the protocol's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_type: Option<String>,
}

/// A multipart/form-data upload: a `meta` JSON part (which the signature covers) and a file part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// The name of the file part (`file`, `submission_file`, …).
    pub file: String,
    /// The JSON shape of the `meta` part (an object).
    pub meta: Schema,
    /// Other text parts, by name.
    #[serde(
        default,
        deserialize_with = "unique_keys",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub fields: IndexMap<String, Schema>,
}

/// The success response of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    #[serde(default = "default_status")]
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Schema>,
    /// `json` (default) or `binary` (a file: bill, PDF, image), streamed to the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// How WeChat Pay authenticates the response (default `body`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<ResponseSignature>,
}

/// What a successful response carries (`content:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Content {
    /// JSON, decoded into the response type.
    Json,
    /// A file (bill, PDF, image), streamed to the caller.
    Binary,
}

/// How WeChat Pay authenticates a successful response (`signature:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResponseSignature {
    /// The signature covers the body.
    Body,
    /// Unsigned by design (file downloads).
    None,
    /// The signature covers `{"sha1":"<Wechatpay-Statement-Sha1>"}` and the file must have
    /// that SHA-1.
    StatementSha1,
}

fn default_status() -> u16 {
    200
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A schema: the type of a field, parameter, body or shared type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(
        default,
        deserialize_with = "unique_keys_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub properties: Option<IndexMap<String, Schema>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Schema>>,
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_: Option<Vec<EnumValue>>,
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub ref_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<serde_yaml::Value>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    /// On a `string` query parameter: the value is JSON text of this shape
    /// (`partner={"type":"APPID","appid":"wx…"}`). The field is typed by it and sent as its JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Box<Schema>>,
    /// APIv2: the field is written as CDATA (`<detail><![CDATA[…]]></detail>`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cdata: bool,
}

/// One allowed value of an enum: a bare value, or a value with its meaning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnumValue {
    Described(DescribedValue),
    Bare(Scalar),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescribedValue {
    pub value: Scalar,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An enum value as written: a string or an integer (a fraction or a boolean is read, to be
/// refused by name rather than as "no variant matched").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Int(i64),
    Str(String),
    Float(f64),
    Bool(bool),
}

impl EnumValue {
    pub fn value(&self) -> &Scalar {
        match self {
            EnumValue::Described(d) => &d.value,
            EnumValue::Bare(v) => v,
        }
    }
    pub fn description(&self) -> Option<&str> {
        match self {
            EnumValue::Described(d) => d.description.as_deref(),
            EnumValue::Bare(_) => None,
        }
    }
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Str(s) => f.write_str(s),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A shared-types file: type name → schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TypesFile(#[serde(deserialize_with = "unique_keys")] pub IndexMap<String, Schema>);

impl std::ops::Deref for TypesFile {
    type Target = IndexMap<String, Schema>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'a> IntoIterator for &'a TypesFile {
    type Item = (&'a String, &'a Schema);
    type IntoIter = indexmap::map::Iter<'a, String, Schema>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The start of the message of a key written twice in one map; [`crate::load::parse`] turns it
/// into an error at the second key, naming the line of the first.
pub const DUPLICATE_KEY: &str = "duplicate key ";

/// A map whose keys are unique: YAML lets a key be written twice and the last one would
/// silently win (a property, a query parameter, a shared type): here it is an error.
fn unique_keys<'de, D, V>(d: D) -> Result<IndexMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Unique<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Unique<V> {
        type Value = IndexMap<String, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(serde::de::Error::custom(format!("{DUPLICATE_KEY}{key}")));
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Unique(std::marker::PhantomData))
}

fn unique_keys_opt<'de, D, V>(d: D) -> Result<Option<IndexMap<String, V>>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    unique_keys(d).map(Some)
}

/// A notification file (`spec/notifications/<name>.yaml`): what WeChat Pay `POST`s to the
/// merchant's `notify_url` for some event types, once verified and decrypted. The envelope and
/// its encryption are the runtime's (`runtime/notify.rs`); a file describes the decrypted
/// `resource`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationFile {
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The API group (cargo feature) whose types the resource uses (`pay`, `refund`).
    pub group: String,
    /// The `event_type`s that carry this resource (`TRANSACTION.SUCCESS`).
    pub events: Vec<String>,
    /// Top-level keys the decrypted resource must have to be this one, when several
    /// notifications share an event type (a direct merchant's payment has `mchid`, a service
    /// provider's `sp_mchid`, a combined payment's `combine_mchid`).
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub match_keys: Vec<String>,
    /// The resource is the response of this operation (`GET /v3/pay/transactions/id/{transaction_id}`):
    /// the same type, enums and all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
    /// Otherwise the resource's own schema (an object with `properties`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Schema>,
}
