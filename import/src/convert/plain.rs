//! A plain schema mapping (no `$ref`, `allOf` merged by the caller): its keywords, type and
//! enum, properties (with mis-indented strays), the names `required` and `x-is-sensitive`
//! list, and items.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

use super::scalar::{fraction_evidence, integer_evidence};
use super::schema::looks_like_schema;
use super::{json, scalar_text, str_list, Conv, Mode, Pending, PendingKind, RepairKind, DROPPED, R};
use crate::{key_string, lookup, Loc};
use wechatpay_model::spec::Schema;

impl Conv<'_> {
    /// The keys of one schema mapping except `$ref`/`allOf`, without final type inference:
    /// the plain keywords, the type and enum, the properties (with mis-indented strays), the
    /// names `required` and `x-is-sensitive` list, the items. Returns the schema, pending
    /// names (listed here, defined by another `allOf` part) and whether strays were adopted
    /// as properties.
    pub(super) fn plain(&mut self, m: &Mapping, loc: &Loc, mode: Mode) -> R<(Schema, Vec<Pending>, bool)> {
        let mut s = Schema::default();
        let mut pending = Vec::new();
        let listed = self.keywords(m, loc, mode, &mut s)?;
        self.type_and_enum(m, loc, mode, &mut s);
        let (mut props, adopted) = self.properties(m, loc, mode, &listed.strays)?;
        if let Some((names, rloc)) = listed.required {
            mark_required(&names, &rloc, props.as_mut(), &mut pending);
        }
        if let Some((names, sloc)) = listed.sensitive {
            self.mark_sensitive(names, &sloc, m, &mut s, props.as_mut(), &mut pending);
        }
        s.properties = props;
        self.items(m, loc, &mut s)?;
        Ok((s, pending, adopted))
    }

    /// The plain keywords into `s` (description, example, required flag, deprecated, x-json,
    /// cdata, …); returns what is settled later: stray property-like keys and the names that
    /// `required` and `x-is-sensitive` list.
    fn keywords(&mut self, m: &Mapping, loc: &Loc, mode: Mode, s: &mut Schema) -> R<Listed> {
        let mut strays: Vec<String> = Vec::new();
        let mut required_names: Option<(Vec<Value>, Loc)> = None;
        let mut sensitive_names: Option<(Vec<String>, Loc)> = None;
        for (k, val) in m {
            let Some(key) = key_string(k) else {
                self.note(loc, RepairKind::BadKey, "ignored a non-scalar key".into());
                continue;
            };
            let kloc = loc.key(&key);
            match key.as_str() {
                "type" | "format" | "properties" | "items" | "enum" | "allOf" | "$ref" => {}
                "name" | "in" | "schema" if mode.param => {}
                "description" => {
                    s.description = scalar_text(val);
                    if s.description.is_none() && !val.is_null() {
                        self.note(
                            &kloc,
                            RepairKind::BadDescription,
                            "description is not text: ignored".into(),
                        );
                    }
                }
                "example" => s.example = Some(self.yaml11(val, &kloc)),
                "required" => {
                    if let Some(names) = self.required_keyword(val, &kloc, mode, s) {
                        required_names = Some((names, kloc));
                    }
                }
                "require" | "requried" | "requires" => {
                    let b = val.as_bool().unwrap_or(false);
                    self.note(
                        &kloc,
                        RepairKind::KeywordTypo,
                        format!(
                            "read '{key}: {}' as 'required: {b}'",
                            scalar_text(val).unwrap_or_default()
                        ),
                    );
                    s.required = b;
                }
                "deprecated" => s.deprecated = val.as_bool().unwrap_or(false),
                "depracted" | "deprecate" => {
                    s.deprecated = val.as_bool().unwrap_or(false);
                    self.note(&kloc, RepairKind::KeywordTypo, format!("read '{key}' as 'deprecated'"));
                }
                "x-json" => {
                    // JSON carried as text in a string (`"qualifications": "[{…}]"`, a query
                    // `partner={"type":"APPID"}`): typed by its shape (our `json:`).
                    let inner = self.schema(val, &kloc, Mode::default())?;
                    s.json = Some(Box::new(inner));
                    self.note(
                        &kloc,
                        RepairKind::XJson,
                        "the JSON carried in this string is typed by its x-json shape (json:)".into(),
                    );
                }
                "x-is-sensitive" => {
                    let names = str_list(Some(val));
                    if names.is_empty() {
                        self.note(
                            &kloc,
                            RepairKind::BadSensitive,
                            "x-is-sensitive is neither a name nor a list: ignored".into(),
                        );
                    }
                    sensitive_names = Some((names, kloc));
                }
                "xml" => {
                    // APIv2: `xml: {name: xml}` names the root (always `xml`, the runtime's);
                    // `xml: {x-cdata: true}` a field written as CDATA.
                    if val.get("x-cdata").and_then(Value::as_bool) == Some(true) {
                        s.cdata = true;
                    }
                }
                "oneOf" | "anyOf" | "not" => {
                    self.note(
                        &kloc,
                        RepairKind::OneOf,
                        format!("{key} is not supported: read as any JSON"),
                    );
                    s.ty = Some("json".into());
                }
                k if DROPPED.contains(&k) || k.starts_with("x-") => self.imp.drop_keyword(&kloc, k),
                _ => {
                    if looks_like_schema(val) {
                        strays.push(key);
                    } else {
                        self.note(
                            &kloc,
                            RepairKind::UnknownKeyword,
                            format!("ignored unknown schema keyword '{key}'"),
                        );
                    }
                }
            }
        }

        Ok(Listed {
            strays,
            required: required_names,
            sensitive: sensitive_names,
        })
    }

    /// `required:` inside a schema: a list of property names (returned), or on a property
    /// (or parameter) its own flag; anything else is a repair line.
    fn required_keyword(&mut self, val: &Value, kloc: &Loc, mode: Mode, s: &mut Schema) -> Option<Vec<Value>> {
        match val {
            Value::Sequence(q) => Some(q.clone()),
            Value::Bool(b) => {
                if !mode.param {
                    self.note(
                        kloc,
                        RepairKind::RequiredBool,
                        format!("'required: {b}' inside a property schema read as the property's required flag"),
                    );
                }
                s.required = *b;
                None
            }
            Value::Null => {
                self.note(
                    kloc,
                    RepairKind::RequiredNull,
                    "'required:' without a value: no required properties".into(),
                );
                None
            }
            Value::String(x) => {
                self.note(
                    kloc,
                    RepairKind::RequiredScalar,
                    format!("'required: {x}' read as the list [{x}]"),
                );
                Some(vec![val.clone()])
            }
            _ => {
                self.note(
                    kloc,
                    RepairKind::BadRequired,
                    "required is neither a list nor a boolean: ignored".into(),
                );
                None
            }
        }
    }

    /// Type and format (`type: number` read as integer or float, the ciphertext rule), then
    /// the enum.
    fn type_and_enum(&mut self, m: &Mapping, loc: &Loc, mode: Mode, s: &mut Schema) {
        let (mut ty, mut format) = self.type_and_format(m, loc, &mut s.example);
        if ty.as_deref() == Some("number") && lookup(m, "enum").is_none() {
            if let Some(why) = fraction_evidence(m, s.example.as_ref()) {
                self.note(
                    loc,
                    RepairKind::NumberFloat,
                    format!("type number kept as a float: {why}"),
                );
            } else {
                let reason = integer_evidence(m, loc, s.example.as_ref());
                self.note(
                    loc,
                    RepairKind::NumberInteger,
                    format!("type number read as integer: {reason}"),
                );
                ty = Some("integer".into());
                format = None;
            }
        }
        if s.ty.is_none() {
            s.ty = ty;
        }
        s.format = format;
        self.ciphertext_rule(s, loc, mode);

        // Enum.
        if let Some(e) = lookup(m, "enum") {
            self.enumeration(s, e, &loc.key("enum"));
        }
    }

    /// The description's way of marking a field WeChat Pay wants encrypted: a request string of
    /// `format: base64` (the operations that take `Wechatpay-Serial` write every encrypted field
    /// so, and no other base64 request field exists in APIv3: names, ID and phone numbers,
    /// e-mails, bank accounts). `x-is-sensitive`, the other mark, is read where it stands.
    /// Not in responses (what WeChat Pay encrypts for the merchant) nor in APIv2 (its own rule).
    fn ciphertext_rule(&mut self, s: &mut Schema, loc: &Loc, mode: Mode) {
        let base64 = s.format.as_deref() == Some("base64") && s.ty.as_deref() == Some("string");
        if base64 && !s.sensitive && !self.in_response && !self.v2 && !mode.param {
            s.sensitive = true;
            self.note(
                loc,
                RepairKind::SensitiveBase64,
                "a request string of format base64 is ciphertext: sensitive (encrypted by the client)".into(),
            );
        }
    }

    /// The properties: its own, plus keys indented too far (into a property's schema, or
    /// beside the keywords) that belong to this object. Returns them and whether strays were
    /// adopted.
    fn properties(
        &mut self,
        m: &Mapping,
        loc: &Loc,
        mode: Mode,
        strays: &[String],
    ) -> R<(Option<IndexMap<String, Schema>>, bool)> {
        let ploc = loc.key("properties");
        let mut props: Option<IndexMap<String, Schema>> = None;
        let mut adopt_strays = !mode.skip_strays;
        match lookup(m, "properties") {
            Some(Value::Mapping(pm)) => {
                let mut out = IndexMap::new();
                for (pk, pv) in pm {
                    let Some(name) = key_string(pk) else { continue };
                    let l = ploc.key(&name);
                    // Keys indented too far into this property's schema belong to our object.
                    let hoist = hoistable(pv);
                    let ps = self.schema(
                        pv,
                        &l,
                        Mode {
                            param: false,
                            skip_strays: !hoist.is_empty(),
                        },
                    )?;
                    out.insert(name.clone(), ps);
                    for h in hoist {
                        let hl = l.key(&h);
                        let hv = hl.get().clone();
                        self.note(
                            &hl,
                            RepairKind::MisindentedProperty,
                            format!("'{h}' is indented into the schema of '{name}' as if a keyword: read as a property of the enclosing object"),
                        );
                        let hs = self.schema(&hv, &hl, Mode::default())?;
                        if out.contains_key(&h) {
                            self.note(
                                &hl,
                                RepairKind::MisindentedProperty,
                                format!("'{h}' is defined twice: the first is kept"),
                            );
                        } else {
                            out.insert(h, hs);
                        }
                    }
                }
                self.drop_field_collisions(&mut out, &ploc, &mut HashMap::new());
                props = Some(out);
            }
            Some(Value::Null) => {
                adopt_strays = true;
                if strays.is_empty() {
                    self.note(
                        &ploc,
                        RepairKind::PropertiesNull,
                        "'properties:' without a value".into(),
                    );
                }
                props = Some(IndexMap::new());
            }
            Some(_) => self.note(
                &ploc,
                RepairKind::BadProperties,
                "properties is not a mapping: ignored".into(),
            ),
            None => {}
        }
        let mut adopted = false;
        if adopt_strays && !strays.is_empty() {
            let out = props.get_or_insert_with(IndexMap::new);
            for h in strays {
                let hl = loc.key(h);
                let hv = hl.get().clone();
                self.note(
                    &hl,
                    RepairKind::MisindentedProperty,
                    format!("'{h}' stands beside the schema keywords (mis-indented): read as a property"),
                );
                let hs = self.schema(&hv, &hl, Mode::default())?;
                out.insert(h.clone(), hs);
            }
            adopted = true;
        }
        Ok((props, adopted))
    }

    /// `x-is-sensitive` names: properties made sensitive; on a schema without properties the
    /// value itself; names not (yet) defined are pending.
    fn mark_sensitive(
        &mut self,
        names: Vec<String>,
        sloc: &Loc,
        m: &Mapping,
        s: &mut Schema,
        mut props: Option<&mut IndexMap<String, Schema>>,
        pending: &mut Vec<Pending>,
    ) {
        for n in names {
            match props.as_deref_mut().and_then(|p| p.get_mut(&n)) {
                Some(p) => p.sensitive = true,
                None => {
                    if props.is_none() && lookup(m, "allOf").is_none() {
                        // On a scalar: the value itself is the encrypted one.
                        self.note(
                            sloc,
                            RepairKind::SensitiveSelf,
                            format!("x-is-sensitive '{n}' on a schema without properties: marks this field sensitive"),
                        );
                        s.sensitive = true;
                    } else {
                        pending.push(Pending {
                            name: n,
                            kind: PendingKind::Sensitive,
                            loc: sloc.clone(),
                        })
                    }
                }
            }
        }
    }

    /// `items`: the element schema (tuple items are read as any JSON).
    fn items(&mut self, m: &Mapping, loc: &Loc, s: &mut Schema) -> R<()> {
        if let Some(iv) = lookup(m, "items") {
            let il = loc.key("items");
            if iv.is_sequence() {
                self.note(
                    &il,
                    RepairKind::BadItems,
                    "tuple items are not supported: read as any JSON".into(),
                );
                s.items = Some(Box::new(json()));
            } else {
                s.items = Some(Box::new(self.schema(iv, &il, Mode::default())?));
            }
        }
        Ok(())
    }
}

/// What a schema's keywords list for later: stray property-like keys, and the names that
/// `required` and `x-is-sensitive` list (with where).
struct Listed {
    strays: Vec<String>,
    required: Option<(Vec<Value>, Loc)>,
    sensitive: Option<(Vec<String>, Loc)>,
}

/// The names `required` lists: properties made required; names not (yet) defined are pending.
fn mark_required(
    names: &[Value],
    rloc: &Loc,
    mut props: Option<&mut IndexMap<String, Schema>>,
    pending: &mut Vec<Pending>,
) {
    for (i, n) in names.iter().enumerate() {
        let Some(n) = scalar_text(n) else { continue };
        match props.as_deref_mut().and_then(|p| p.get_mut(&n)) {
            Some(p) => p.required = true,
            None => pending.push(Pending {
                name: n,
                kind: PendingKind::Required,
                loc: rloc.idx(i),
            }),
        }
    }
}

/// Stray property-like keys in a property schema that already has properties: they were
/// indented one level too far and belong to the enclosing object.
fn hoistable(v: &Value) -> Vec<String> {
    let Some(m) = v.as_mapping() else { return Vec::new() };
    if !matches!(lookup(m, "properties"), Some(Value::Mapping(_))) {
        return Vec::new();
    }
    m.iter()
        .filter_map(|(k, v)| {
            let k = k.as_str()?;
            let known = matches!(
                k,
                "type"
                    | "format"
                    | "description"
                    | "required"
                    | "properties"
                    | "items"
                    | "enum"
                    | "allOf"
                    | "$ref"
                    | "example"
                    | "deprecated"
                    | "depracted"
                    | "require"
                    | "oneOf"
                    | "anyOf"
                    | "not"
            ) || DROPPED.contains(&k)
                || k.starts_with("x-");
            (!known && looks_like_schema(v)).then(|| k.to_owned())
        })
        .collect()
}
