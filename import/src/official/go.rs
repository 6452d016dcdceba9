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

// ---------------------------------------------------------------------------------------------
// Folders and files

/// The folders below `root/rel` (recursively), relative to `root`, `/`-separated.
fn package_folders(root: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), ReadError> {
    let dir = root.join(rel);
    let io = |source| ReadError::Io {
        path: dir.clone(),
        source,
    };
    for entry in std::fs::read_dir(&dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if !entry.file_type().map_err(io)?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let sub = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        package_folders(root, &sub, out)?;
        out.push(sub);
    }
    Ok(())
}

/// An operation as read, and whether its body is the request itself (`localVarPostBody = req`).
type ParsedOp = (GoOperation, bool);

/// The package in `folder`: `None` when it has neither `models.go` nor `api_*.go`.
fn read_package(root: &Path, folder: &str) -> Result<Option<(Package, Vec<ParsedOp>)>, ReadError> {
    let dir = root.join(folder);
    let io = |path: &Path, source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
        let name = entry.map_err(|e| io(&dir, e))?.file_name();
        names.push(name.to_string_lossy().into_owned());
    }
    names.sort();
    let mut found = None;
    for name in names {
        let is_api = name.starts_with("api_") && name.ends_with(".go");
        if name != "models.go" && !is_api {
            continue;
        }
        let text = std::fs::read_to_string(dir.join(&name)).map_err(|e| io(&dir.join(&name), e))?;
        let rel = Path::new(folder).join(&name);
        let (package, ops): &mut (Package, Vec<ParsedOp>) = found.get_or_insert_default();
        if is_api {
            ops.extend(parse_api(folder, &rel, &text)?);
        } else {
            *package = parse_models(folder, &rel, &text)?;
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// Imports and type names

/// A file's imports: name used in the code → import path.
#[derive(Debug, Default)]
struct Imports(HashMap<String, String>);

impl Imports {
    /// `import "x"` lines and `import ( … )` blocks.
    fn read(lines: &[&str]) -> Imports {
        let mut imports = Imports::default();
        let mut in_block = false;
        for line in lines {
            let t = line.trim();
            if in_block {
                if t == ")" {
                    in_block = false;
                } else {
                    imports.add(t);
                }
            } else if t == "import (" {
                in_block = true;
            } else if let Some(spec) = t.strip_prefix("import ") {
                imports.add(spec);
            }
        }
        imports
    }

    /// One import spec: `"path"` or `name "path"`.
    fn add(&mut self, spec: &str) {
        let Some(path) = string_literals(spec).into_iter().next() else {
            return;
        };
        let explicit = spec.split_whitespace().next().filter(|w| !w.starts_with('"'));
        let name = match explicit {
            Some(n) => n.to_owned(),
            None => path.rsplit('/').next().unwrap_or(&path).to_owned(),
        };
        self.0.insert(name, path);
    }

    fn path(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// What a file's names resolve against: its package folder and imports.
struct Scope<'a> {
    folder: &'a str,
    imports: &'a Imports,
}

impl Scope<'_> {
    /// `Foo`, `*Foo`, `&Foo`, `pkg.Foo` → the type's package folder and name.
    fn type_ref(&self, text: &str) -> Result<TypeRef, String> {
        let t = text.trim().trim_start_matches(['*', '&']);
        let (folder, name) = match t.split_once('.') {
            None => (self.folder, t),
            Some((q, n)) => (self.services_folder(q)?, n),
        };
        if !is_ident(name) {
            return Err(format!("cannot read the type name `{text}`"));
        }
        Ok(TypeRef::new(folder, name))
    }

    /// The folder (relative to `services/`) of an imported package.
    fn services_folder(&self, qualifier: &str) -> Result<&str, String> {
        let path = self
            .imports
            .path(qualifier)
            .ok_or_else(|| format!("`{qualifier}` is not imported"))?;
        match path.split_once("/services/") {
            Some((_, folder)) => Ok(folder),
            None => Err(format!("`{qualifier}` ({path}) is not a package of services/")),
        }
    }

    /// A field type (leading `*` dropped).
    fn go_type(&self, text: &str) -> Result<GoType, String> {
        let t = text.trim().trim_start_matches('*');
        if let Some(elem) = t.strip_prefix("[]") {
            return Ok(GoType::Array(Box::new(self.go_type(elem)?)));
        }
        if let Some(rest) = t.strip_prefix("map[") {
            return match rest.split_once(']') {
                Some(("string", value)) => Ok(GoType::Map(Box::new(self.go_type(value)?))),
                _ => Err(format!("map type `{t}`: only string keys are expected")),
            };
        }
        if let Some(scalar) = scalar_type(t) {
            return Ok(scalar);
        }
        if let Some((q, n)) = t.split_once('.') {
            if self.imports.path(q) == Some("time") && n == "Time" {
                return Ok(GoType::Time);
            }
        } else if !t.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Err(format!("unknown Go type `{t}`"));
        }
        self.type_ref(t).map(GoType::Named)
    }
}

/// The built-in types a field or alias may have (`uint*` is not expected).
fn scalar_type(t: &str) -> Option<GoType> {
    Some(match t {
        "string" => GoType::String,
        "bool" => GoType::Bool,
        "int" | "int64" => GoType::Int { bits: 64 },
        "int32" => GoType::Int { bits: 32 },
        "int16" => GoType::Int { bits: 16 },
        "int8" => GoType::Int { bits: 8 },
        "float64" => GoType::Float { bits: 64 },
        "float32" => GoType::Float { bits: 32 },
        "interface{}" | "any" => GoType::Any,
        _ => return None,
    })
}

fn is_ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The double-quoted string literals of a line, unescaped (`\"`, `\\`), in order.
fn string_literals(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                // A raw string (a struct tag): skipped as a whole.
                for c in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                }
            }
            '"' => out.extend(quoted_rest(&mut chars)),
            _ => {}
        }
    }
    out
}

/// The rest of a `"…"` literal whose opening quote was read; `None` when it is not closed.
fn quoted_rest(chars: &mut std::str::Chars<'_>) -> Option<String> {
    let mut s = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(s),
            '\\' => s.extend(chars.next()),
            c => s.push(c),
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// models.go

/// Reads one `models.go` of the package in `folder`; `file` (relative) names it in the results.
fn parse_models(folder: &str, file: &Path, text: &str) -> Result<Package, ReadError> {
    let lines: Vec<&str> = text.lines().collect();
    let imports = Imports::read(&lines);
    let mut reader = ModelsReader {
        scope: Scope {
            folder,
            imports: &imports,
        },
        file,
        package: Package::default(),
        state: State::Top,
        doc: Vec::new(),
        consts: Vec::new(),
    };
    for (i, line) in lines.iter().enumerate() {
        reader.line(i + 1, line)?;
    }
    reader.finish()
}

enum State {
    Top,
    Struct(GoStruct),
    Consts,
}

struct ModelsReader<'a> {
    scope: Scope<'a>,
    file: &'a Path,
    package: Package,
    state: State,
    /// Doc lines above the next field.
    doc: Vec<String>,
    /// (type name, value) of every typed constant, in order.
    consts: Vec<(String, String)>,
}

impl ModelsReader<'_> {
    fn line(&mut self, n: usize, line: &str) -> Result<(), ReadError> {
        let t = line.trim();
        match self.state {
            State::Struct(_) => self.struct_line(n, t)?,
            State::Consts if t == ")" => self.state = State::Top,
            State::Consts => self.consts.extend(const_spec(t)),
            State::Top => self.top_line(n, t),
        }
        Ok(())
    }

    fn top_line(&mut self, n: usize, t: &str) {
        if let Some(decl) = t.strip_prefix("type ") {
            self.type_decl(n, decl);
        } else if t == "const (" {
            self.state = State::Consts;
        } else if let Some(spec) = t.strip_prefix("const ") {
            self.consts.extend(const_spec(spec));
        }
    }

    /// `Name struct {`, `Name string`, `Name int64`; anything else (`Name services.Service`) is
    /// not a model.
    fn type_decl(&mut self, n: usize, decl: &str) {
        let Some((name, rest)) = decl.split_once(' ') else {
            return;
        };
        let (name, rest, file) = (name.to_owned(), rest.trim(), self.file.to_path_buf());
        if let Some(body) = rest.strip_prefix("struct") {
            let st = GoStruct {
                name,
                file,
                line: n,
                fields: Vec::new(),
            };
            if body.trim().ends_with('}') {
                self.package.structs.insert(st.name.clone(), st);
            } else {
                self.doc.clear();
                self.state = State::Struct(st);
            }
        } else if rest == "string" {
            let values = Vec::new();
            let e = GoEnum {
                name: name.clone(),
                values,
                line: n,
                file,
            };
            self.package.enums.insert(name, e);
        } else if let Some(ty) = self.alias_target(rest) {
            let values = Vec::new();
            let a = GoAlias {
                name: name.clone(),
                ty,
                values,
                line: n,
                file,
            };
            self.package.aliases.insert(name, a);
        }
    }

    /// The type of `type Name int64` or `type Name Other` (a defined type over another model);
    /// `None` for anything else (`type Service services.Service` is not a model).
    fn alias_target(&self, rest: &str) -> Option<GoType> {
        if let Some(scalar) = scalar_type(rest) {
            return Some(scalar);
        }
        let named = self.scope.go_type(rest).ok()?;
        matches!(named, GoType::Named(_)).then_some(named)
    }

    fn struct_line(&mut self, n: usize, t: &str) -> Result<(), ReadError> {
        if t == "}" {
            if let State::Struct(st) = std::mem::replace(&mut self.state, State::Top) {
                self.package.structs.insert(st.name.clone(), st);
            }
        } else if let Some(doc) = t.strip_prefix("//") {
            self.doc.push(doc.strip_prefix(' ').unwrap_or(doc).to_owned());
        } else if t.is_empty() {
            self.doc.clear();
        } else {
            let doc = std::mem::take(&mut self.doc).join("\n");
            let field = self.field(n, t, doc)?;
            if let State::Struct(st) = &mut self.state {
                st.fields.push(field);
            }
        }
        Ok(())
    }

    /// `Name Type \`json:"name,omitempty" encryption:"EM_APIV3"\``.
    fn field(&self, n: usize, t: &str, doc: String) -> Result<GoField, ReadError> {
        let err = |m: String| ReadError::parse(self.file, n, m);
        let (decl, tag) = split_tag(t).ok_or_else(|| err(format!("field without a tag: {t}")))?;
        let (go_name, ty) = decl
            .split_once(char::is_whitespace)
            .ok_or_else(|| err(format!("field without a name and a type: {t}")))?;
        let tag = Tag::read(tag).map_err(&err)?;
        let json = tag.get("json").ok_or_else(|| err("tag without json".into()))?;
        let mut json_parts = json.split(',');
        let json_name = json_parts.next().unwrap_or_default().to_owned();
        let required = !json_parts.any(|o| o == "omitempty");
        let encrypted = match tag.get("encryption") {
            None => false,
            Some("EM_APIV3") => true,
            Some(other) => return Err(err(format!("unknown encryption `{other}`"))),
        };
        Ok(GoField {
            go_name: go_name.to_owned(),
            json: json_name,
            ty: self.scope.go_type(ty).map_err(&err)?,
            required,
            encrypted,
            doc,
            line: n,
        })
    }

    fn finish(mut self) -> Result<Package, ReadError> {
        if let State::Struct(st) = &self.state {
            let m = format!("struct {} is not closed", st.name);
            return Err(ReadError::parse(self.file, st.line, m));
        }
        for (ty, value) in self.consts {
            if let Some(e) = self.package.enums.get_mut(&ty) {
                e.values.push(value);
            } else if let Some(a) = self.package.aliases.get_mut(&ty) {
                a.values.push(value);
            }
        }
        Ok(self.package)
    }
}

/// `NAME Type = "VALUE"` → (Type, VALUE); `None` for other constant lines.
fn const_spec(t: &str) -> Option<(String, String)> {
    let (left, right) = t.split_once('=')?;
    let mut words = left.split_whitespace();
    let (_, ty) = (words.next()?, words.next()?);
    if words.next().is_some() || !is_ident(ty) {
        return None;
    }
    let right = right.trim();
    let value = match right.strip_prefix('"') {
        Some(_) => string_literals(right).into_iter().next()?,
        None => right.split("//").next().unwrap_or_default().trim().to_owned(),
    };
    Some((ty.to_owned(), value))
}

/// A field line split into `Name Type` and the tag's text (between the back quotes).
fn split_tag(t: &str) -> Option<(&str, &str)> {
    let (decl, rest) = t.split_once('`')?;
    let (tag, _) = rest.split_once('`')?;
    Some((decl.trim(), tag))
}

/// A struct tag: `key:"value" key2:"value2"`.
struct Tag(Vec<(String, String)>);

impl Tag {
    fn read(text: &str) -> Result<Tag, String> {
        let mut pairs = Vec::new();
        let mut rest = text.trim_start();
        while !rest.is_empty() {
            let bad = || format!("cannot read the tag `{text}`");
            let (key, after) = rest.split_once(":\"").ok_or_else(bad)?;
            if !is_ident(key) {
                return Err(bad());
            }
            let mut chars = after.chars();
            let value = quoted_rest(&mut chars).ok_or_else(bad)?;
            pairs.push((key.to_owned(), value));
            rest = chars.as_str().trim_start();
        }
        Ok(Tag(pairs))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// api_*.go

/// One top-level `func` of a file.
struct FuncBlock<'a> {
    /// 1-based line of `func`.
    line: usize,
    name: String,
    /// The signature lines joined (up to the opening `{`).
    signature: String,
    /// (1-based line, text) of the body.
    body: Vec<(usize, &'a str)>,
    /// The first line of the doc comment above, without `//`.
    doc: Option<&'a str>,
}

/// The top-level functions: from a line starting `func ` to the next line that is `}`.
fn func_blocks<'a>(lines: &[&'a str]) -> Vec<FuncBlock<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("func ") {
            i += 1;
            continue;
        }
        let start = i;
        let mut signature = String::new();
        while i < lines.len() {
            signature.push_str(lines[i].trim());
            i += 1;
            if signature.ends_with('{') {
                break;
            }
        }
        let body_start = i;
        while i < lines.len() && lines[i].trim_end() != "}" {
            i += 1;
        }
        out.push(FuncBlock {
            line: start + 1,
            name: func_name(&signature).unwrap_or_default(),
            body: (body_start..i).map(|k| (k + 1, lines[k])).collect(),
            doc: doc_first_line(lines, start),
            signature,
        });
    }
    out
}

/// `func (a *X) Name(` → `Name`; `func Name(` → `Name`.
fn func_name(signature: &str) -> Option<String> {
    let rest = signature.strip_prefix("func")?.trim_start();
    let rest = match rest.strip_prefix('(') {
        Some(r) => r.split_once(')')?.1.trim_start(),
        None => rest,
    };
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The first line of the `//` block that ends just above line index `func_idx`.
fn doc_first_line<'a>(lines: &[&'a str], func_idx: usize) -> Option<&'a str> {
    let mut k = func_idx;
    while k > 0 && lines[k - 1].starts_with("//") {
        k -= 1;
    }
    (k < func_idx).then(|| lines[k].trim_start_matches('/').trim())
}

/// The operations of one `api_*.go` of the package in `folder`.
fn parse_api(folder: &str, file: &Path, text: &str) -> Result<Vec<ParsedOp>, ReadError> {
    let lines: Vec<&str> = text.lines().collect();
    let imports = Imports::read(&lines);
    let scope = Scope {
        folder,
        imports: &imports,
    };
    let mut ops = Vec::new();
    for block in func_blocks(&lines) {
        let is_op = block
            .body
            .iter()
            .any(|(_, l)| l.trim_start().starts_with("localVarPath :="));
        if is_op {
            ops.push(operation(&block, &scope, file)?);
        }
    }
    Ok(ops)
}

/// Reads one operation function.
fn operation(block: &FuncBlock<'_>, scope: &Scope<'_>, file: &Path) -> Result<ParsedOp, ReadError> {
    let err = |n: usize, m: String| ReadError::parse(file, n, m);
    let summary = block
        .doc
        .and_then(|d| d.strip_prefix(block.name.as_str()))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let request = match request_param(&block.signature, &block.name) {
        Some(t) => Some(scope.type_ref(t).map_err(|m| err(block.line, m))?),
        None => None,
    };
    let mut b = OpBuilder {
        op: GoOperation {
            package: scope.folder.to_owned(),
            name: block.name.clone(),
            file: file.to_path_buf(),
            line: block.line,
            method: String::new(),
            path: String::new(),
            path_params: Vec::new(),
            query: Vec::new(),
            request,
            body: None,
            body_excludes: Vec::new(),
            response: None,
            encrypts: false,
            summary,
        },
        body_is_request: false,
    };
    for &(n, l) in &block.body {
        b.line(l.trim(), scope).map_err(|m| err(n, m))?;
    }
    if b.op.method.is_empty() || b.op.path.is_empty() {
        let m = format!("operation {} without HTTP method or URL", block.name);
        return Err(err(block.line, m));
    }
    Ok((b.op, b.body_is_request))
}

/// The type of the `req` parameter of `Name(ctx context.Context, req T)`.
fn request_param<'a>(signature: &'a str, name: &str) -> Option<&'a str> {
    let params = signature.split_once(&format!("{name}("))?.1.split_once(')')?.0;
    params
        .split(',')
        .find_map(|p| p.trim().strip_prefix("req "))
        .map(str::trim)
}

struct OpBuilder {
    op: GoOperation,
    body_is_request: bool,
}

impl OpBuilder {
    /// One (trimmed) line of an operation's body.
    fn line(&mut self, l: &str, scope: &Scope<'_>) -> Result<(), String> {
        let op = &mut self.op;
        if l.starts_with("localVarHTTPMethod ") && l.contains('=') {
            op.method = http_method(l).ok_or("cannot read the HTTP method")?;
        } else if l.starts_with("localVarPath :=") {
            op.path = string_literals(l).pop().ok_or("cannot read the URL")?;
        } else if l.starts_with("localVarPath = strings.Replace(") {
            op.path_params
                .push(path_param(l).ok_or("cannot read the path parameter")?);
        } else if l.starts_with("localVarQueryParams.Add(") {
            op.query.push(query_param(l).ok_or("cannot read the query parameter")?);
        } else if let Some(rest) = l.strip_prefix("localVarPostBody = ") {
            self.body(rest.trim(), scope)?;
        } else if l.starts_with("localVarHeaderParams.Set(") && l.contains("WechatPaySerial") {
            op.encrypts = true;
        } else if let Some(rest) = l.strip_prefix("resp = new(") {
            let ty = rest.strip_suffix(')').ok_or("cannot read the response type")?;
            op.response = Some(scope.type_ref(ty)?);
        }
        Ok(())
    }

    /// `req` or `&Body{`.
    fn body(&mut self, rest: &str, scope: &Scope<'_>) -> Result<(), String> {
        if rest == "req" {
            self.op.body = self.op.request.clone();
            self.body_is_request = true;
            return Ok(());
        }
        let ty = rest
            .strip_suffix('{')
            .ok_or_else(|| format!("cannot read the body `{rest}`"))?;
        self.op.body = Some(scope.type_ref(ty)?);
        Ok(())
    }
}

/// `localVarHTTPMethod = nethttp.MethodPost` → `POST`.
fn http_method(l: &str) -> Option<String> {
    let name = l.split_once(".Method")?.1;
    let name: String = name.chars().take_while(char::is_ascii_alphabetic).collect();
    (!name.is_empty()).then(|| name.to_ascii_uppercase())
}

/// `strings.Replace(localVarPath, "{"+"out_trade_no"+"}", …(*req.OutTradeNo, "")…)`.
fn path_param(l: &str) -> Option<Param> {
    let literals = string_literals(l);
    let wire = match literals.as_slice() {
        [open, wire, close, ..] if open == "{" && close == "}" => wire.clone(),
        _ => return None,
    };
    Some(Param {
        wire,
        go_field: req_field(l)?,
    })
}

/// `localVarQueryParams.Add("mchid", core.ParameterToString(*req.Mchid, ""))`.
fn query_param(l: &str) -> Option<Param> {
    Some(Param {
        wire: string_literals(l).into_iter().next()?,
        go_field: req_field(l)?,
    })
}

/// The field name after `req.` (not part of a longer name such as `encReq.`).
fn req_field(l: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = l[from..].find("req.") {
        let at = from + i;
        let before = l[..at].chars().next_back();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            let field: String = l[at + 4..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            return (!field.is_empty()).then_some(field);
        }
        from = at + 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODELS: &str = r#"package profitsharing

import (
	"encoding/json"
	"time"
)

// AddReceiverRequest
type AddReceiverRequest struct {
	// receiver account
	Account *string `json:"account"`
	// name of the receiver
	// (second line)
	Name *string `json:"name,omitempty" encryption:"EM_APIV3"`
	Type     *ReceiverType `json:"type,omitempty"`
	Tags     []string      `json:"tags,omitempty"`
	Extra    map[string]interface{} `json:"extra,omitempty"`
	When     *time.Time    `json:"when,omitempty"`
	Grid     [][]int32     `json:"grid,omitempty"`
	Rate     *float64      `json:"rate,omitempty"`
}

func (o AddReceiverRequest) MarshalJSON() ([]byte, error) {
	toSerialize := map[string]interface{}{}
	return json.Marshal(toSerialize)
}

type Empty struct{}

// ReceiverType
type ReceiverType string

func (e ReceiverType) Ptr() *ReceiverType {
	return &e
}

// Enums of ReceiverType
const (
	RECEIVERTYPE_MERCHANT_ID     ReceiverType = "MERCHANT_ID"
	RECEIVERTYPE_PERSONAL_OPENID ReceiverType = "PERSONAL_OPENID"
)

type NoValues string

type Receiver AddReceiverRequest

type Level int64

const LEVEL_ONE Level = 1
"#;

    fn models() -> Package {
        parse_models("profitsharing", Path::new("profitsharing/models.go"), MODELS).unwrap()
    }

    #[test]
    fn struct_fields_required_optional_encrypted() {
        let p = models();
        let st = &p.structs["AddReceiverRequest"];
        assert_eq!((st.line, st.fields.len()), (9, 8));
        let account = &st.fields[0];
        assert_eq!(
            (account.go_name.as_str(), account.json.as_str()),
            ("Account", "account")
        );
        assert!(account.required && !account.encrypted);
        assert_eq!((account.doc.as_str(), account.line), ("receiver account", 11));
        let name = &st.fields[1];
        assert!(!name.required && name.encrypted);
        assert_eq!(name.doc, "name of the receiver\n(second line)");
        assert_eq!(st.fields[2].doc, "");
        assert!(p.structs["Empty"].fields.is_empty());
    }

    #[test]
    fn field_types() {
        let st = &models().structs["AddReceiverRequest"];
        let ty = |i: usize| st.fields[i].ty.clone();
        assert_eq!(ty(0), GoType::String);
        let named = GoType::Named(TypeRef::new("profitsharing", "ReceiverType"));
        assert_eq!(ty(2), named);
        assert_eq!(ty(2).named(), Some(TypeRef::new("profitsharing", "ReceiverType")));
        assert_eq!(ty(3).element(), Some(&GoType::String));
        assert_eq!(ty(4), GoType::Map(Box::new(GoType::Any)));
        assert_eq!(ty(5), GoType::Time);
        assert_eq!(ty(6).base(), &GoType::Int { bits: 32 });
        assert_eq!(ty(6).to_string(), "[][]int32");
        assert_eq!(ty(7), GoType::Float { bits: 64 });
    }

    #[test]
    fn enums_and_aliases() {
        let p = models();
        let e = &p.enums["ReceiverType"];
        assert_eq!(e.values, ["MERCHANT_ID", "PERSONAL_OPENID"]);
        assert_eq!(e.line, 31);
        assert!(p.enums["NoValues"].values.is_empty());
        assert!(!p.structs.contains_key("NoValues"));
        let a = &p.aliases["Level"];
        assert_eq!(
            (&a.ty, a.values.as_slice()),
            (&GoType::Int { bits: 64 }, &["1".to_owned()][..])
        );
    }

    #[test]
    fn unreadable_field_is_an_error_with_its_line() {
        let text = "package x\n\ntype A struct {\n\tB *string `json:\"b\n}\n";
        let e = parse_models("x", Path::new("x/models.go"), text).unwrap_err();
        assert_eq!(e.to_string(), "x/models.go:4: field without a tag: B *string `json:\"b");
        let text = "package x\n\ntype A struct {\n\tB *uint8 `json:\"b\"`\n}\n";
        let e = parse_models("x", Path::new("x/models.go"), text).unwrap_err();
        assert_eq!(e.to_string(), "x/models.go:4: unknown Go type `uint8`");
        let text = "package x\n\ntype A struct {\n\tB *string `json:\"b\" encryption:\"X\"`\n}\n";
        let e = parse_models("x", Path::new("x/models.go"), text).unwrap_err();
        assert!(e.to_string().contains("unknown encryption `X`"), "{e}");
    }

    const API: &str = r#"package jsapi

import (
	"context"
	nethttp "net/http"
	neturl "net/url"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
	pay "github.com/wechatpay-apiv3/wechatpay-go/services/payments"
)

type JsapiApiService services.Service

// CloseOrder close an order
//
// more text
func (a *JsapiApiService) CloseOrder(ctx context.Context, req CloseOrderRequest) (resp *pay.Transaction, result *core.APIResult, err error) {
	var (
		localVarHTTPMethod   = nethttp.MethodPost
		localVarPostBody     interface{}
		localVarQueryParams  neturl.Values
		localVarHeaderParams = nethttp.Header{}
	)

	localVarPath := consts.WechatPayAPIServer + "/v3/x/{out_trade_no}/close"
	localVarPath = strings.Replace(localVarPath, "{"+"out_trade_no"+"}", neturl.PathEscape(core.ParameterToString(*req.OutTradeNo, "")), -1)

	localVarQueryParams = neturl.Values{}
	if req.Limit != nil {
		localVarQueryParams.Add("limit", core.ParameterToString(*req.Limit, ""))
	}

	if encryptCertificate != "" {
		localVarHeaderParams.Set(consts.WechatPaySerial, encryptCertificate)
	}

	localVarPostBody = &CloseRequest{
		Mchid: req.Mchid,
	}

	result, err = a.Client.Request(ctx, localVarHTTPMethod, localVarPath, localVarHeaderParams, localVarQueryParams, localVarPostBody, localVarHTTPContentType)
	resp = new(pay.Transaction)
	return resp, result, nil
}

// Prepay
func (a *JsapiApiService) Prepay(ctx context.Context, req PrepayRequest) (result *core.APIResult, err error) {
	var (
		localVarHTTPMethod   = nethttp.MethodPatch
	)
	localVarPath := consts.WechatPayAPIServer + "/v3/p/{id}"
	localVarPath = strings.Replace(localVarPath, "{"+"id"+"}", neturl.PathEscape(core.ParameterToString(*req.Id, "")), -1)
	localVarPostBody = req
	return result, nil
}

func (a *JsapiApiService) Helper(
	ctx context.Context, req PrepayRequest,
) (resp *PrepayResponse, result *core.APIResult, err error) {
	return a.Prepay(ctx, req)
}
"#;

    #[test]
    fn api_operation_with_path_query_body_and_response() {
        let ops = parse_api("payments/jsapi", Path::new("payments/jsapi/api_jsapi.go"), API).unwrap();
        assert_eq!(ops.len(), 2, "the helper without localVarPath is not an operation");
        let (op, body_is_request) = &ops[0];
        assert!(!body_is_request);
        assert_eq!((op.name.as_str(), op.line), ("CloseOrder", 18));
        assert_eq!(op.key(), ("post".to_owned(), "/v3/x/{out_trade_no}/close".to_owned()));
        let wire: Vec<_> = op.path_params.iter().map(|p| (&*p.wire, &*p.go_field)).collect();
        assert_eq!(wire, [("out_trade_no", "OutTradeNo")]);
        let query: Vec<_> = op.query.iter().map(|p| (&*p.wire, &*p.go_field)).collect();
        assert_eq!(query, [("limit", "Limit")]);
        let jsapi = |n: &str| Some(TypeRef::new("payments/jsapi", n));
        assert_eq!(op.request, jsapi("CloseOrderRequest"));
        assert_eq!(op.body, jsapi("CloseRequest"));
        assert_eq!(op.response, Some(TypeRef::new("payments", "Transaction")));
        assert!(op.encrypts);
        assert_eq!(op.summary.as_deref(), Some("close an order"));
        let (op, body_is_request) = &ops[1];
        assert!(body_is_request);
        assert_eq!((op.method.as_str(), op.summary.as_deref()), ("PATCH", None));
        assert_eq!((op.body.clone(), op.response.clone()), (jsapi("PrepayRequest"), None));
    }

    #[test]
    fn read_a_folder_resolves_body_excludes() {
        let dir = tempfile::tempdir().unwrap();
        let jsapi = dir.path().join("payments/jsapi");
        std::fs::create_dir_all(&jsapi).unwrap();
        std::fs::write(jsapi.join("api_jsapi.go"), API).unwrap();
        let models = "package jsapi\n\ntype PrepayRequest struct {\n\tId *string `json:\"id\"`\n\
                      \tAmount *int64 `json:\"amount\"`\n}\n";
        std::fs::write(jsapi.join("models.go"), models).unwrap();
        std::fs::create_dir_all(dir.path().join("empty")).unwrap();
        let sdk = Sdk::read(dir.path()).unwrap();
        assert_eq!(sdk.packages.keys().collect::<Vec<_>>(), ["payments/jsapi"]);
        let op = sdk.operations_at("PATCH", "/v3/p/{id}").next().unwrap();
        assert_eq!(op.body_excludes, ["id"]);
        let fields: Vec<_> = sdk.body_fields(op).iter().map(|f| f.json.as_str()).collect();
        assert_eq!(fields, ["amount"]);
        assert_eq!(sdk.operations[0].path, "/v3/p/{id}", "sorted by path");
    }

    #[test]
    fn read_error_names_the_full_path() {
        let dir = tempfile::tempdir().unwrap();
        let x = dir.path().join("x");
        std::fs::create_dir_all(&x).unwrap();
        std::fs::write(x.join("models.go"), "type A struct {\n\tB *string\n}\n").unwrap();
        let e = Sdk::read(dir.path()).unwrap_err().to_string();
        let want = format!("{}:2: field without a tag", x.join("models.go").display());
        assert!(e.starts_with(&want), "{e}");
    }

    /// The real reference copy, when present: the counts observed at the pinned commit.
    #[test]
    fn reads_the_reference_copy() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/wechatpay-go/services");
        if !dir.is_dir() {
            println!("skipped: ../shared/reference/wechatpay-go not found");
            return;
        }
        let sdk = Sdk::read(&dir).unwrap();
        let count = |f: fn(&Package) -> usize| sdk.packages.values().map(f).sum::<usize>();
        let fields = sdk
            .packages
            .values()
            .flat_map(|p| p.structs.values())
            .flat_map(|s| &s.fields);
        let encrypted = fields.filter(|f| f.encrypted).count();
        let encrypts = sdk.operations.iter().filter(|o| o.encrypts).count();
        let observed = (
            sdk.packages.len(),
            count(|p| p.structs.len()),
            count(|p| p.enums.len()),
            count(|p| p.aliases.len()),
            sdk.operations.len(),
            encrypts,
            encrypted,
        );
        // (packages, structs, enums, aliases, operations, operations that encrypt, encrypted fields)
        assert_eq!(observed, (24, 414, 71, 1, 137, 7, 13));
        let keys: std::collections::BTreeSet<_> = sdk.operations.iter().map(GoOperation::key).collect();
        println!("{observed:?}, {} distinct (method, path)", keys.len());
        assert_reference_samples(&sdk);
    }

    fn assert_reference_samples(sdk: &Sdk) {
        let path = "/v3/pay/transactions/id/{transaction_id}";
        let ops: Vec<_> = sdk.operations_at("get", path).collect();
        assert!(!ops.is_empty());
        for op in ops {
            let query: Vec<_> = op.query.iter().map(|p| (&*p.wire, &*p.go_field)).collect();
            assert_eq!(query, [("mchid", "Mchid")], "{}", op.package);
            assert_eq!(op.response, Some(TypeRef::new("payments", "Transaction")));
            assert!(sdk.find_struct(op.response.as_ref().unwrap()).is_some());
        }
        let req = sdk
            .find_struct(&TypeRef::new("profitsharing", "AddReceiverRequest"))
            .unwrap();
        let field = |json: &str| req.fields.iter().find(|f| f.json == json).unwrap();
        assert!(field("name").encrypted && !field("name").required);
        assert!(field("account").required && !field("account").encrypted);
        let relation = field("relation_type").ty.named().unwrap();
        assert!(sdk
            .find_enum(&relation)
            .is_some_and(|e| e.values.contains(&"STORE".to_owned())));
        let add = sdk
            .operations_at("POST", "/v3/profitsharing/receivers/add")
            .next()
            .unwrap();
        assert!(add.encrypts);
        assert_eq!(sdk.body_fields(add).len(), req.fields.len());
        // `type CreateBusifavorStockRequest CreateBusiFavorStockRequest`: found through the alias.
        let create = sdk
            .operations_at("POST", "/v3/marketing/busifavor/stocks")
            .next()
            .unwrap();
        let st = sdk.find_struct(create.request.as_ref().unwrap()).unwrap();
        assert_eq!(st.name, "CreateBusiFavorStockRequest");
    }
}
