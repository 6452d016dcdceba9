//! `models.go`: structs, string enums and defined types.

use super::*;

/// Reads one `models.go` of the package in `folder`; `file` (relative) names it in the results.
pub(super) fn parse_models(folder: &str, file: &Path, text: &str) -> Result<Package, ReadError> {
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

pub(super) enum State {
    Top,
    Struct(GoStruct),
    Consts,
}

pub(super) struct ModelsReader<'a> {
    pub(super) scope: Scope<'a>,
    pub(super) file: &'a Path,
    pub(super) package: Package,
    pub(super) state: State,
    /// Doc lines above the next field.
    pub(super) doc: Vec<String>,
    /// (type name, value) of every typed constant, in order.
    pub(super) consts: Vec<(String, String)>,
}

impl ModelsReader<'_> {
    pub(super) fn line(&mut self, n: usize, line: &str) -> Result<(), ReadError> {
        let t = line.trim();
        match self.state {
            State::Struct(_) => self.struct_line(n, t)?,
            State::Consts if t == ")" => self.state = State::Top,
            State::Consts => self.consts.extend(const_spec(t)),
            State::Top => self.top_line(n, t),
        }
        Ok(())
    }

    pub(super) fn top_line(&mut self, n: usize, t: &str) {
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
    pub(super) fn type_decl(&mut self, n: usize, decl: &str) {
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
    pub(super) fn alias_target(&self, rest: &str) -> Option<GoType> {
        if let Some(scalar) = scalar_type(rest) {
            return Some(scalar);
        }
        let named = self.scope.go_type(rest).ok()?;
        matches!(named, GoType::Named(_)).then_some(named)
    }

    pub(super) fn struct_line(&mut self, n: usize, t: &str) -> Result<(), ReadError> {
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
    pub(super) fn field(&self, n: usize, t: &str, doc: String) -> Result<GoField, ReadError> {
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

    pub(super) fn finish(mut self) -> Result<Package, ReadError> {
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
pub(super) fn const_spec(t: &str) -> Option<(String, String)> {
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
pub(super) fn split_tag(t: &str) -> Option<(&str, &str)> {
    let (decl, rest) = t.split_once('`')?;
    let (tag, _) = rest.split_once('`')?;
    Some((decl.trim(), tag))
}

/// A struct tag: `key:"value" key2:"value2"`.
pub(super) struct Tag(Vec<(String, String)>);

impl Tag {
    pub(super) fn read(text: &str) -> Result<Tag, String> {
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

    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}
