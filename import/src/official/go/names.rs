//! Imports and type names: a package's imports, and a Go type written in a field.

use super::*;

/// A file's imports: name used in the code → import path.
#[derive(Debug, Default)]
pub(super) struct Imports(HashMap<String, String>);

impl Imports {
    /// `import "x"` lines and `import ( … )` blocks.
    pub(super) fn read(lines: &[&str]) -> Imports {
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
    pub(super) fn add(&mut self, spec: &str) {
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

    pub(super) fn path(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// What a file's names resolve against: its package folder and imports.
pub(super) struct Scope<'a> {
    pub(super) folder: &'a str,
    pub(super) imports: &'a Imports,
}

impl Scope<'_> {
    /// `Foo`, `*Foo`, `&Foo`, `pkg.Foo` → the type's package folder and name.
    pub(super) fn type_ref(&self, text: &str) -> Result<TypeRef, String> {
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
    pub(super) fn services_folder(&self, qualifier: &str) -> Result<&str, String> {
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
    pub(super) fn go_type(&self, text: &str) -> Result<GoType, String> {
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
pub(super) fn scalar_type(t: &str) -> Option<GoType> {
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

pub(super) fn is_ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The double-quoted string literals of a line, unescaped (`\"`, `\\`), in order.
pub(super) fn string_literals(line: &str) -> Vec<String> {
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
pub(super) fn quoted_rest(chars: &mut std::str::Chars<'_>) -> Option<String> {
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
