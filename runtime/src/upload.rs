//! Media upload: `multipart/form-data` with a JSON `meta` part and a file part.
//!
//! WeChat Pay signs uploads over the `meta` JSON only (the exact bytes of that part), not over
//! the multipart body. The file is read completely before sending, because the `meta` part,
//! which comes first, carries the file's SHA-256 (WeChat Pay's upload limits are a few MB:
//! images 2 MB, videos 5 MB).

use crate::error::RequestProblem;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use aws_lc_rs::digest;

use super::encoding::hex;
use super::error::Error;

/// A file to upload: its name (sent as the part's `filename` and, unless the meta says
/// otherwise, as the meta's `filename`), its content type and its bytes.
///
/// ```no_run
/// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
/// use wechatpay::runtime::{Method, Upload};
/// let answer: serde_json::Value = client
///     .chain("v3/merchant/media/upload")
///     .request(Method::POST)
///     // `filename` and `sha256` are filled in by the runtime
///     .multipart(&serde_json::json!({}), "file", Upload::from_path("/tmp/logo.png"))
///     .send_json()
///     .await?;
/// println!("media_id {}", answer["media_id"]);
/// # Ok(()) }
/// ```
pub struct Upload {
    filename: Option<String>,
    content_type: Option<String>,
    source: Source,
}

enum Source {
    Bytes(Vec<u8>),
    Path(PathBuf),
    Reader(Box<dyn Read + Send>),
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(b) => format!("{} bytes", b.len()),
            Source::Path(p) => format!("file {}", p.display()),
            Source::Reader(_) => "reader".to_owned(),
        };
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("source", &source)
            .finish()
    }
}

impl Upload {
    /// Bytes in memory, sent under `filename` (e.g. `"logo.png"`).
    pub fn from_bytes(filename: impl Into<String>, bytes: Vec<u8>) -> Self {
        Upload {
            filename: Some(filename.into()),
            content_type: None,
            source: Source::Bytes(bytes),
        }
    }

    /// A file, read when the request is sent; the file name is the last component of `path`.
    /// A file that cannot be read makes the call fail with [`Error::Io`] naming it.
    pub fn from_path(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let filename = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Upload {
            filename,
            content_type: None,
            source: Source::Path(path),
        }
    }

    /// Anything readable, read to the end when the request is sent (once: retries reuse the
    /// bytes), sent under `filename`.
    pub fn from_reader(filename: impl Into<String>, reader: impl Read + Send + 'static) -> Self {
        Upload {
            filename: Some(filename.into()),
            content_type: None,
            source: Source::Reader(Box::new(reader)),
        }
    }

    /// Sets the file part's `Content-Type` instead of guessing it from the file name's
    /// extension (see [`guess_content_type`]).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The file name sent.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    pub(crate) fn needs_io(&self) -> bool {
        !matches!(self.source, Source::Bytes(_))
    }

    /// Reads the bytes (blocking I/O for paths and readers).
    fn read(self) -> Result<(String, String, Vec<u8>), Error> {
        let filename = match self.filename {
            Some(name) if !name.is_empty() => name,
            _ => {
                return Err(Error::request(
                    RequestProblem::Malformed,
                    "the file to upload has no file name",
                ))
            }
        };
        let bytes = match self.source {
            Source::Bytes(bytes) => bytes,
            Source::Path(path) => std::fs::read(&path).map_err(|source| Error::Io {
                context: format!("cannot read the file to upload {}", path.display()),
                source,
            })?,
            Source::Reader(mut reader) => {
                let mut bytes = Vec::new();
                reader.read_to_end(&mut bytes).map_err(|source| Error::Io {
                    context: format!("cannot read the upload {filename:?} from its reader"),
                    source,
                })?;
                bytes
            }
        };
        let content_type = self
            .content_type
            .unwrap_or_else(|| guess_content_type(&filename).to_owned());
        Ok((filename, content_type, bytes))
    }
}

/// The content type for a file name's extension (case-insensitive): `image/jpeg`,
/// `image/png`, `image/bmp`, `image/gif`, `image/webp`, `video/mp4`, `video/quicktime`,
/// `video/x-msvideo`, `application/pdf`, `text/csv`, … and `application/octet-stream` for
/// anything else.
pub fn guess_content_type(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "bmp" => "image/bmp",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "avi" => "video/x-msvideo",
        "wmv" => "video/x-ms-wmv",
        "flv" => "video/x-flv",
        "mkv" => "video/x-matroska",
        "mpeg" | "mpg" => "video/mpeg",
        "3gp" => "video/3gpp",
        "rm" | "rmvb" => "application/vnd.rn-realmedia",
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "zip" => "application/zip",
        "json" => "application/json",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

/// The `meta` of an upload as a JSON object, with the field names its type declares.
#[derive(Debug)]
pub(crate) struct MetaObject {
    pub(crate) map: serde_json::Map<String, serde_json::Value>,
    /// For a struct: every field it has (also those skipped because `None`); `None` for a map
    /// (`serde_json::json!({…})`), whose possible keys are unknown.
    pub(crate) declared: Option<Vec<&'static str>>,
}

impl MetaObject {
    /// Serialises `meta`, which must be a struct or a map.
    pub(crate) fn from_serialize<M: serde::Serialize + ?Sized>(meta: &M) -> Result<Self, serde_json::Error> {
        meta.serialize(MetaSerializer)
    }
}

/// An upload as given to [`Request::multipart`](crate::Request::multipart), not read yet.
#[derive(Debug)]
pub(crate) struct Multipart {
    pub(crate) meta: MetaObject,
    pub(crate) file_part: &'static str,
    pub(crate) file: Upload,
}

/// The encoded multipart body and what is signed.
pub(crate) struct Encoded {
    pub(crate) content_type: String,
    pub(crate) body: Vec<u8>,
    /// The exact `meta` JSON: the signed "body".
    pub(crate) meta: Vec<u8>,
}

impl Multipart {
    pub(crate) fn needs_io(&self) -> bool {
        self.file.needs_io()
    }

    /// Reads the file, fills the meta's digest and file name, encodes the body.
    pub(crate) fn encode(self, fields: &[(&'static str, String)]) -> Result<Encoded, Error> {
        let (filename, content_type, bytes) = self.file.read()?;
        let mut meta = self.meta;
        let sha256 = hex(digest::digest(&digest::SHA256, &bytes).as_ref());
        fill(&mut meta, &["sha256", "file_digest"], sha256);
        fill(&mut meta, &["filename", "file_name"], filename.clone());
        let meta = serde_json::to_vec(&meta.map).map_err(Error::Encode)?;

        let boundary = boundary(&[&meta, &bytes]);
        let mut body = Vec::with_capacity(bytes.len() + meta.len() + 512);
        part_head(&mut body, &boundary, "meta", None, Some("application/json"));
        body.extend_from_slice(&meta);
        body.extend_from_slice(b"\r\n");
        for (name, value) in fields {
            part_head(&mut body, &boundary, name, None, None);
            body.extend_from_slice(value.as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        part_head(
            &mut body,
            &boundary,
            self.file_part,
            Some(&filename),
            Some(&content_type),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"--\r\n");
        Ok(Encoded {
            content_type: format!("multipart/form-data; boundary={boundary}"),
            body,
            meta,
        })
    }
}

/// Sets the first of `keys` the meta has when its value is absent, `null` or `""`.
///
/// A struct "has" the fields it declares (a `None` skipped when serialising included); a
/// struct declaring none of `keys` is left alone. A map has the keys present; a map with none
/// of them gets the first.
fn fill(meta: &mut MetaObject, keys: &[&str], value: String) {
    let key = match &meta.declared {
        Some(declared) => keys.iter().find(|k| declared.contains(k)),
        None => keys.iter().find(|k| meta.map.contains_key(**k)).or(keys.first()),
    };
    let Some(key) = key else { return };
    let slot = meta.map.entry(key.to_string()).or_insert(serde_json::Value::Null);
    if slot.is_null() || slot.as_str() == Some("") {
        *slot = serde_json::Value::String(value);
    }
}

use serde::ser::Impossible;

/// Serialises a meta into a [`MetaObject`], noting the fields a struct declares (serde's
/// `skip_field` tells the ones skipped), so that `sha256` / `file_digest` and `filename` /
/// `file_name` are filled only where the type has them.
struct MetaSerializer;

type Json = serde_json::Error;

fn not_an_object<T>() -> Result<T, Json> {
    Err(serde::ser::Error::custom(
        "the upload meta must serialise to a JSON object",
    ))
}

macro_rules! not_an_object {
    ($($name:ident($($ty:ty),*);)*) => {
        $(fn $name(self $(, _: $ty)*) -> Result<MetaObject, Json> { not_an_object() })*
    };
}

impl serde::Serializer for MetaSerializer {
    type Ok = MetaObject;
    type Error = Json;
    type SerializeSeq = Impossible<MetaObject, Json>;
    type SerializeTuple = Impossible<MetaObject, Json>;
    type SerializeTupleStruct = Impossible<MetaObject, Json>;
    type SerializeTupleVariant = Impossible<MetaObject, Json>;
    type SerializeMap = MetaMap;
    type SerializeStruct = MetaStruct;
    type SerializeStructVariant = Impossible<MetaObject, Json>;

    not_an_object! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<MetaObject, Json> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<MetaObject, Json> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<MetaObject, Json> {
        not_an_object()
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Json> {
        not_an_object()
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Json> {
        not_an_object()
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Json> {
        not_an_object()
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Json> {
        not_an_object()
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MetaMap, Json> {
        Ok(MetaMap(serde::Serializer::serialize_map(
            serde_json::value::Serializer,
            len,
        )?))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MetaStruct, Json> {
        Ok(MetaStruct {
            map: serde_json::Map::new(),
            declared: Vec::new(),
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Json> {
        not_an_object()
    }
}

struct MetaStruct {
    map: serde_json::Map<String, serde_json::Value>,
    declared: Vec<&'static str>,
}

impl serde::ser::SerializeStruct for MetaStruct {
    type Ok = MetaObject;
    type Error = Json;

    fn serialize_field<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Json> {
        self.declared.push(key);
        self.map.insert(key.to_owned(), serde_json::to_value(value)?);
        Ok(())
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), Json> {
        self.declared.push(key);
        Ok(())
    }

    fn end(self) -> Result<MetaObject, Json> {
        Ok(MetaObject {
            map: self.map,
            declared: Some(self.declared),
        })
    }
}

struct MetaMap(<serde_json::value::Serializer as serde::Serializer>::SerializeMap);

impl serde::ser::SerializeMap for MetaMap {
    type Ok = MetaObject;
    type Error = Json;

    fn serialize_key<T: serde::Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Json> {
        self.0.serialize_key(key)
    }

    fn serialize_value<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Json> {
        self.0.serialize_value(value)
    }

    fn end(self) -> Result<MetaObject, Json> {
        match serde::ser::SerializeMap::end(self.0)? {
            serde_json::Value::Object(map) => Ok(MetaObject { map, declared: None }),
            _ => not_an_object(),
        }
    }
}

fn part_head(body: &mut Vec<u8>, boundary: &str, name: &str, filename: Option<&str>, content_type: Option<&str>) {
    body.extend_from_slice(b"--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
    body.extend_from_slice(quote(name).as_bytes());
    body.push(b'"');
    if let Some(filename) = filename {
        body.extend_from_slice(b"; filename=\"");
        body.extend_from_slice(quote(filename).as_bytes());
        body.push(b'"');
    }
    if let Some(content_type) = content_type {
        body.extend_from_slice(b"\r\nContent-Type: ");
        body.extend_from_slice(content_type.as_bytes());
    }
    body.extend_from_slice(b"\r\n\r\n");
}

/// A quoted-string value as browsers send it (HTML form encoding): `"`, CR and LF
/// percent-encoded, everything else (UTF-8 included) as is.
fn quote(value: &str) -> String {
    value.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

/// A random boundary that occurs in none of `contents`.
fn boundary(contents: &[&[u8]]) -> String {
    loop {
        let candidate = format!("wechatpay-{}", super::crypto::nonce());
        let needle = candidate.as_bytes();
        if !contents.iter().any(|c| c.windows(needle.len()).any(|w| w == needle)) {
            return candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(v: serde_json::Value) -> MetaObject {
        MetaObject::from_serialize(&v).unwrap()
    }

    #[test]
    fn meta_digest_and_name_are_filled_only_when_missing_or_empty() {
        let encode = |m: serde_json::Value| {
            let mp = Multipart {
                meta: meta(m),
                file_part: "file",
                file: Upload::from_bytes("a.png", b"abc".to_vec()),
            };
            serde_json::from_slice::<serde_json::Value>(&mp.encode(&[]).unwrap().meta).unwrap()
        };
        // sha256("abc")
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(encode(json!({})), json!({"filename": "a.png", "sha256": abc}));
        assert_eq!(
            encode(json!({"sha256": null, "filename": ""})),
            json!({"filename": "a.png", "sha256": abc})
        );
        assert_eq!(
            encode(json!({"file_digest": "", "file_name": null})),
            json!({"file_name": "a.png", "file_digest": abc})
        );
        assert_eq!(
            encode(json!({"sha256": "given", "filename": "b.jpg", "x": 1})),
            json!({"filename": "b.jpg", "sha256": "given", "x": 1})
        );
    }

    #[derive(serde::Serialize)]
    struct DigestMeta {
        #[serde(skip_serializing_if = "Option::is_none")]
        file_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        file_digest: Option<String>,
    }

    #[derive(serde::Serialize)]
    struct ReceiptMeta {
        transaction_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    }

    #[test]
    fn struct_meta_fills_only_the_fields_it_declares() {
        let encode = |m: MetaObject| {
            let mp = Multipart {
                meta: m,
                file_part: "file",
                file: Upload::from_bytes("a.png", b"abc".to_vec()),
            };
            serde_json::from_slice::<serde_json::Value>(&mp.encode(&[]).unwrap().meta).unwrap()
        };
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let m = MetaObject::from_serialize(&DigestMeta {
            file_name: None,
            file_digest: None,
        })
        .unwrap();
        assert_eq!(encode(m), json!({"file_name": "a.png", "file_digest": abc}));
        let m = MetaObject::from_serialize(&ReceiptMeta {
            transaction_id: "42".into(),
            sha256: None,
        })
        .unwrap();
        assert_eq!(
            encode(m),
            json!({"transaction_id": "42", "sha256": abc}),
            "no filename added"
        );
        assert!(MetaObject::from_serialize(&json!([1])).is_err());
        assert!(MetaObject::from_serialize("text").is_err());
        assert!(MetaObject::from_serialize(&Some(json!({}))).is_ok());
    }

    #[test]
    fn body_layout() {
        let mp = Multipart {
            meta: meta(json!({"filename": "x\".png", "sha256": "h"})),
            file_part: "media",
            file: Upload::from_bytes("x\".png", b"PNGDATA".to_vec()),
        };
        let e = mp.encode(&[("item_id", "42".into())]).unwrap();
        let boundary = e.content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8(e.body).unwrap();
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n\
             {{\"filename\":\"x\\\".png\",\"sha256\":\"h\"}}\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"item_id\"\r\n\r\n42\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"x%22.png\"\r\nContent-Type: image/png\r\n\r\n\
             PNGDATA\r\n--{b}--\r\n",
            b = boundary
        );
        assert_eq!(text, expected);
        assert_eq!(e.meta, br#"{"filename":"x\".png","sha256":"h"}"#);
    }

    #[test]
    fn content_types() {
        assert_eq!(guess_content_type("A.JPG"), "image/jpeg");
        assert_eq!(guess_content_type("a.png"), "image/png");
        assert_eq!(guess_content_type("a.bmp"), "image/bmp");
        assert_eq!(guess_content_type("v.mp4"), "video/mp4");
        assert_eq!(guess_content_type("c.pdf"), "application/pdf");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
        assert_eq!(guess_content_type("a.weird"), "application/octet-stream");
    }

    #[test]
    fn missing_path_is_an_io_error_naming_it() {
        let mp = Multipart {
            meta: meta(json!({})),
            file_part: "file",
            file: Upload::from_path("/nonexistent/dir/x.png"),
        };
        match mp.encode(&[]) {
            Err(Error::Io { context, .. }) => assert!(context.contains("/nonexistent/dir/x.png"), "{context}"),
            other => panic!("{:?}", other.err()),
        }
    }
}
