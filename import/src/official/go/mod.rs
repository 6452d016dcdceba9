//! The reader of the generated Go `services/` folder.
//!
//! Line-based: the generated code has a fixed layout (gofmt'ed, one declaration per line), so
//! each line is recognised by its leading words. Lines that match nothing are ignored; a struct
//! field whose type or tag cannot be read, or an operation without method or URL, is an error
//! naming `file:line`.
//!
//! * `models.go` of a package: `type X struct { … }` → [`GoStruct`], `type X string` plus its
//!   `const ( A X = "V" … )` values → [`GoEnum`], `type X int64` (other scalars) and `type X Y`
//!   (a defined type over another model) → [`GoAlias`].
//! * `api_*.go` of a package: every function whose body assigns `localVarPath :=` is an
//!   operation ([`GoOperation`]); other functions (helpers built on an operation) are skipped.

mod api;
mod files;
mod models;
mod names;
#[cfg(test)]
mod tests;

use api::*;
use files::*;
use models::*;
use names::*;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// Everything read from one `services/` folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sdk {
    /// By package folder relative to `services/`, `/`-separated (`payments/jsapi`). Only
    /// folders with a `models.go` or an `api_*.go` file.
    pub packages: BTreeMap<String, Package>,
    /// Every operation, sorted by (path, method, package). The same URL can appear in several
    /// packages (`payments/app` and `payments/jsapi` both query an order).
    pub operations: Vec<GoOperation>,
}

/// The types of one Go package (`models.go`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Package {
    pub structs: BTreeMap<String, GoStruct>,
    /// `type X string` declarations (with or without constants).
    pub enums: BTreeMap<String, GoEnum>,
    /// `type X int64` (another non-string scalar) and `type X Y` (a defined type over another
    /// model) declarations.
    pub aliases: BTreeMap<String, GoAlias>,
}

/// `type Name struct { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct GoStruct {
    pub name: String,
    /// Relative to the `services/` folder (`profitsharing/models.go`).
    pub file: PathBuf,
    /// 1-based line of `type Name struct {`.
    pub line: usize,
    /// In source order.
    pub fields: Vec<GoField>,
}

/// One field of a [`GoStruct`].
#[derive(Debug, Clone, PartialEq)]
pub struct GoField {
    /// `OutTradeNo`.
    pub go_name: String,
    /// `out_trade_no` (the json tag's name).
    pub json: String,
    pub ty: GoType,
    /// The json tag has no `omitempty`.
    pub required: bool,
    /// The tag has `encryption:"EM_APIV3"`: a sensitive field the client encrypts.
    pub encrypted: bool,
    /// The `//` lines just above the field, without the markers, joined with `\n`.
    pub doc: String,
    /// 1-based line of the field.
    pub line: usize,
}

/// `type Name string` and its constants.
#[derive(Debug, Clone, PartialEq)]
pub struct GoEnum {
    pub name: String,
    /// The constants' values in source order (may be empty).
    pub values: Vec<String>,
    /// 1-based line of `type Name string`.
    pub line: usize,
    /// Relative to the `services/` folder.
    pub file: PathBuf,
}

/// `type Name int64` (any non-string scalar), with the values of its constants if any; or
/// `type Name Other`, a defined type over another model ([`Sdk::find_struct`] follows it).
#[derive(Debug, Clone, PartialEq)]
pub struct GoAlias {
    pub name: String,
    pub ty: GoType,
    /// The constants' values as written (`1`, `"x"` unquoted), in source order.
    pub values: Vec<String>,
    pub line: usize,
    pub file: PathBuf,
}

/// A field type. Pointers are dropped (every generated field is a pointer).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GoType {
    String,
    /// `int64`, `int32`, … (`int` counts as 64).
    Int {
        bits: u8,
    },
    /// `float64`, `float32`.
    Float {
        bits: u8,
    },
    Bool,
    /// `time.Time`.
    Time,
    /// A struct, enum or alias of a package: see [`Sdk::find_struct`], [`Sdk::find_enum`].
    Named(TypeRef),
    /// `[]T`.
    Array(Box<GoType>),
    /// `map[string]T` (the value type).
    Map(Box<GoType>),
    /// `interface{}` / `any`.
    Any,
}

impl GoType {
    /// The named type, for [`GoType::Named`].
    pub fn named(&self) -> Option<TypeRef> {
        match self {
            GoType::Named(r) => Some(r.clone()),
            _ => None,
        }
    }

    /// The element type, for [`GoType::Array`].
    pub fn element(&self) -> Option<&GoType> {
        match self {
            GoType::Array(e) => Some(e),
            _ => None,
        }
    }

    /// The type with every array layer removed (`[][]Foo` → `Foo`).
    pub fn base(&self) -> &GoType {
        match self {
            GoType::Array(e) => e.base(),
            t => t,
        }
    }
}

impl fmt::Display for GoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GoType::String => f.write_str("string"),
            GoType::Int { bits } => write!(f, "int{bits}"),
            GoType::Float { bits } => write!(f, "float{bits}"),
            GoType::Bool => f.write_str("bool"),
            GoType::Time => f.write_str("time.Time"),
            GoType::Named(r) => write!(f, "{r}"),
            GoType::Array(e) => write!(f, "[]{e}"),
            GoType::Map(v) => write!(f, "map[string]{v}"),
            GoType::Any => f.write_str("interface{}"),
        }
    }
}

/// A type of a package: (folder relative to `services/`, Go name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeRef {
    /// `payments`, `payments/jsapi`.
    pub package: String,
    pub name: String,
}

impl TypeRef {
    pub fn new(package: &str, name: &str) -> TypeRef {
        TypeRef {
            package: package.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for TypeRef {
    /// `payments.Transaction`, `payments/jsapi.PrepayRequest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.package, self.name)
    }
}

/// A path or query parameter: its name on the wire and the request field it is taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// `out_trade_no`.
    pub wire: String,
    /// `OutTradeNo`.
    pub go_field: String,
}

/// One API method of an `XxxApiService`.
#[derive(Debug, Clone, PartialEq)]
pub struct GoOperation {
    /// Package folder (`payments/jsapi`).
    pub package: String,
    /// Go method name (`QueryOrderById`).
    pub name: String,
    /// Relative to the `services/` folder.
    pub file: PathBuf,
    /// 1-based line of the `func`.
    pub line: usize,
    /// Upper case: `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: String,
    /// `/v3/pay/transactions/id/{transaction_id}` (placeholders as written).
    pub path: String,
    /// In source order.
    pub path_params: Vec<Param>,
    /// In source order (optional ones included; the request field's tag says which).
    pub query: Vec<Param>,
    /// The `req` parameter's type; `None` for a method without one.
    pub request: Option<TypeRef>,
    /// The JSON body: the request itself or another struct; `None` without a body.
    pub body: Option<TypeRef>,
    /// When the body is the request itself: JSON names of its fields sent as path or query
    /// parameters instead (not part of the body).
    pub body_excludes: Vec<String>,
    /// `None` for a method without a response body.
    pub response: Option<TypeRef>,
    /// Sets `Wechatpay-Serial`: the request has encrypted (sensitive) fields.
    pub encrypts: bool,
    /// The doc comment's first line after the method name (`JSAPI支付下单`), if any.
    pub summary: Option<String>,
}

impl GoOperation {
    /// The key our spec writes for this operation: (lower-case method, path), e.g.
    /// `("get", "/v3/pay/transactions/id/{transaction_id}")`.
    pub fn key(&self) -> (String, String) {
        (self.method.to_ascii_lowercase(), self.path.clone())
    }
}

/// A failure of [`Sdk::read`], naming the file (and line).
#[derive(Debug)]
pub enum ReadError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Parse {
        file: PathBuf,
        line: usize,
        message: String,
    },
}

impl ReadError {
    fn parse(file: &Path, line: usize, message: impl Into<String>) -> ReadError {
        ReadError::Parse {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    /// The same error with its relative file placed under `dir`.
    fn under(self, dir: &Path) -> ReadError {
        match self {
            ReadError::Parse { file, line, message } => ReadError::Parse {
                file: dir.join(file),
                line,
                message,
            },
            io => io,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ReadError::Parse { file, line, message } => write!(f, "{}:{line}: {message}", file.display()),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io { source, .. } => Some(source),
            ReadError::Parse { .. } => None,
        }
    }
}

impl Sdk {
    /// Reads every package below `services_dir` (the folder itself, holding only the shared
    /// `service.go`, is not a package).
    pub fn read(services_dir: &Path) -> Result<Sdk, ReadError> {
        let mut folders = Vec::new();
        package_folders(services_dir, "", &mut folders)?;
        folders.sort();
        let mut sdk = Sdk::default();
        let mut parsed = Vec::new();
        for folder in &folders {
            let read = read_package(services_dir, folder).map_err(|e| e.under(services_dir))?;
            if let Some((package, ops)) = read {
                sdk.packages.insert(folder.clone(), package);
                parsed.extend(ops);
            }
        }
        for (mut op, body_is_request) in parsed {
            if body_is_request {
                op.body_excludes = sdk.body_excludes(&op).map_err(|e| e.under(services_dir))?;
            }
            sdk.operations.push(op);
        }
        sdk.operations
            .sort_by(|a, b| (&a.path, &a.method, &a.package, &a.name).cmp(&(&b.path, &b.method, &b.package, &b.name)));
        Ok(sdk)
    }

    /// The struct `r` names, also through defined types (`type A B`: `A` finds the struct `B`).
    pub fn find_struct(&self, r: &TypeRef) -> Option<&GoStruct> {
        let r = self.resolve(r);
        self.packages.get(&r.package)?.structs.get(&r.name)
    }

    /// The string enum `r` names, also through defined types.
    pub fn find_enum(&self, r: &TypeRef) -> Option<&GoEnum> {
        let r = self.resolve(r);
        self.packages.get(&r.package)?.enums.get(&r.name)
    }

    /// `r` with defined types over other named types followed (`type A B` → `B`; a few steps).
    pub fn resolve(&self, r: &TypeRef) -> TypeRef {
        let mut r = r.clone();
        for _ in 0..8 {
            match self.find_alias(&r).and_then(|a| a.ty.named()) {
                Some(next) => r = next,
                None => break,
            }
        }
        r
    }

    pub fn find_alias(&self, r: &TypeRef) -> Option<&GoAlias> {
        self.packages.get(&r.package)?.aliases.get(&r.name)
    }

    /// The fields of the operation's body struct as sent on the wire: when the body is the
    /// request itself, without the fields sent as path or query parameters. Empty without a
    /// body (or when the struct is unknown).
    pub fn body_fields(&self, op: &GoOperation) -> Vec<&GoField> {
        let Some(st) = op.body.as_ref().and_then(|b| self.find_struct(b)) else {
            return Vec::new();
        };
        st.fields
            .iter()
            .filter(|f| !op.body_excludes.contains(&f.json))
            .collect()
    }

    /// The operations with this method (any case) and path; usually one, several when
    /// packages share a URL.
    pub fn operations_at<'a>(&'a self, method: &'a str, path: &'a str) -> impl Iterator<Item = &'a GoOperation> + 'a {
        self.operations
            .iter()
            .filter(move |o| o.path == path && o.method.eq_ignore_ascii_case(method))
    }

    /// JSON names of the request fields an operation sends as path or query parameters.
    fn body_excludes(&self, op: &GoOperation) -> Result<Vec<String>, ReadError> {
        let params: Vec<&Param> = op.path_params.iter().chain(&op.query).collect();
        if params.is_empty() {
            return Ok(Vec::new());
        }
        let err = |m: String| ReadError::parse(&op.file, op.line, m);
        let req = op
            .request
            .as_ref()
            .ok_or_else(|| err("body is `req` but no req".into()))?;
        let st = self
            .find_struct(req)
            .ok_or_else(|| err(format!("request struct {req} not found")))?;
        let mut out = Vec::new();
        for p in params {
            let field = st.fields.iter().find(|f| f.go_name == p.go_field);
            let field = field.ok_or_else(|| err(format!("{req} has no field {}", p.go_field)))?;
            out.push(field.json.clone());
        }
        Ok(out)
    }
}
