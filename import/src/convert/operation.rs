//! Operations: parameters, bodies, uploads, the success response and the response rule.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

use super::{is_json_type, json, scalar_text, str_list, Conv, Fail, Mode, RepairKind, OP_DROPPED, R};
use crate::lines::Seg;
use crate::{key_string, lookup, Loc};
use wechatpay_model::spec::{Operation, Response, Schema, Upload};

impl Conv<'_> {
    /// One operation of the description: its keys, its parameters (query, headers, path,
    /// body, form parts), the sensitive names, the request's field collisions and the success
    /// response. Each step is a function below, in this order.
    pub(super) fn operation(&mut self, v: &Value, loc: &Loc, url: &str) -> R<Operation> {
        let Some(m) = v.as_mapping() else {
            return Err(Fail::Skip("the operation is not a mapping".into()));
        };
        let consumes = str_list(lookup(m, "consumes"));
        let produces = str_list(lookup(m, "produces"));
        let params: Vec<(Loc, Value)> = self.parameters(m, loc)?;
        let is_form = |p: &Value| p.get("in").and_then(Value::as_str) == Some("formData");
        let multipart = consumes.iter().any(|c| c.contains("multipart")) || params.iter().any(|(_, p)| is_form(p));
        if self.v2 {
            self.v2_scope(loc, &consumes, &produces, multipart)?;
        } else if let Some(c) = consumes.iter().find(|c| !is_json_type(c) && !c.contains("multipart")) {
            return Err(Fail::Skip(format!("non-JSON request: consumes {c}")));
        }
        let (status, resp_loc, resp) = self.success_response(m, loc)?;

        let mut op = Operation::default();
        self.operation_keys(m, loc, url, &mut op)?;
        let form = self.request_parameters(&params, &mut op, url, loc)?;
        if multipart {
            self.upload(&mut op, form, loc)?;
        } else if !form.is_empty() {
            // Unreachable: formData parameters make the operation multipart.
            return Err(Fail::Skip("formData parameters without multipart".into()));
        }
        self.operation_sensitive(m, &mut op, loc);
        self.request_collisions(&mut op, loc);

        let mut response = Response {
            status,
            body: None,
            content: None,
            signature: None,
        };
        if let (Some(rv), Some(rloc)) = (resp, resp_loc) {
            self.response_body(&mut response, &rv, &rloc, &produces, &op, url, loc)?;
        }
        if self.v2 {
            self.v2_fields(&mut op, &mut response, loc)?;
        }
        if response.status != 200
            || response.body.is_some()
            || response.content.is_some()
            || response.signature.is_some()
        {
            op.response = Some(response);
        }
        Ok(op)
    }

    /// The operation's own keys: summary (the description's first line when missing),
    /// description, deprecated, base URL, client certificate; typos read as meant.
    fn operation_keys(&mut self, m: &Mapping, loc: &Loc, url: &str, op: &mut Operation) -> R<()> {
        match lookup(m, "summary").and_then(scalar_text) {
            Some(s) if !s.trim().is_empty() => op.summary = s,
            _ => {
                let d = lookup(m, "description").and_then(scalar_text).unwrap_or_default();
                let first = d.lines().next().unwrap_or("").trim().to_owned();
                op.summary = if first.is_empty() { url.to_owned() } else { first };
                self.note(
                    loc,
                    RepairKind::SummaryMissing,
                    format!("no summary: used '{}'", op.summary),
                );
            }
        }
        op.description = lookup(m, "description")
            .and_then(scalar_text)
            .filter(|d| !d.trim().is_empty());
        for (k, val) in m {
            let key = key_string(k).unwrap_or_default();
            let kloc = loc.key(&key);
            match key.as_str() {
                "summary" | "description" | "parameters" | "responses" | "consumes" | "produces" | "x-is-sensitive" => {
                }
                "deprecated" => op.deprecated = val.as_bool().unwrap_or(false),
                "depracted" | "deprecate" => {
                    op.deprecated = val.as_bool().unwrap_or(false);
                    self.note(&kloc, RepairKind::KeywordTypo, format!("read '{key}' as 'deprecated'"));
                }
                "tag" => {
                    self.note(
                        &kloc,
                        RepairKind::KeywordTypo,
                        "'tag:' is a typo of 'tags:'; tags are not imported".into(),
                    );
                    self.imp.drop_keyword(&kloc, "tags");
                }
                "x-base-uri" | "x-baseuri" => {
                    let raw = scalar_text(val).unwrap_or_default();
                    let url = raw.trim().trim_end_matches('/').to_owned();
                    if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace)
                    {
                        return Err(Fail::Skip(format!("other host: {key}: '{raw}' is not an absolute URL")));
                    }
                    if key == "x-baseuri" {
                        self.note(
                            &kloc,
                            RepairKind::KeywordTypo,
                            "read 'x-baseuri' as 'x-base-uri'".into(),
                        );
                    }
                    if url != raw {
                        self.note(
                            &kloc,
                            RepairKind::BaseUrlSlash,
                            format!("base URL '{raw}' read as '{url}' (no trailing '/')"),
                        );
                    }
                    op.base_url = Some(url);
                }
                "x-api-cert-required" if self.v2 => op.cert_required = val.as_bool().unwrap_or(false),
                "x-verison" => {
                    self.note(
                        &kloc,
                        RepairKind::KeywordTypo,
                        "'x-verison' is a typo of 'x-version'; not imported".into(),
                    );
                    self.imp.drop_keyword(&kloc, "x-version");
                }
                k if OP_DROPPED.contains(&k) || k.starts_with("x-") => self.imp.drop_keyword(&kloc, k),
                _ => {
                    self.note(
                        &kloc,
                        RepairKind::UnknownKeyword,
                        format!("ignored unknown operation key '{key}'"),
                    );
                }
            }
        }

        Ok(())
    }

    /// The parameters into `op` (query, headers, path, body); the form parts are returned,
    /// for the upload.
    fn request_parameters(
        &mut self,
        params: &[(Loc, Value)],
        op: &mut Operation,
        url: &str,
        loc: &Loc,
    ) -> R<Vec<(String, Loc, Value)>> {
        let mut path_params: IndexMap<String, (Schema, Loc)> = IndexMap::new();
        let mut query_locs: IndexMap<String, Loc> = IndexMap::new();
        let mut form: Vec<(String, Loc, Value)> = Vec::new();
        for (ploc, p) in params {
            let Some(pm) = p.as_mapping() else {
                self.note(
                    ploc,
                    RepairKind::BadParameter,
                    "ignored a parameter that is not a mapping".into(),
                );
                continue;
            };
            let name = lookup(pm, "name").and_then(scalar_text).unwrap_or_default();
            let whr = lookup(pm, "in").and_then(Value::as_str).unwrap_or("").to_owned();
            match whr.as_str() {
                "body" => self.body_parameter(op, ploc)?,
                "formData" if name.is_empty() => self.note(
                    ploc,
                    RepairKind::BadParameter,
                    "ignored a formData parameter without a name".into(),
                ),
                "formData" => form.push((name, ploc.clone(), p.clone())),
                "query" | "header" | "path" if name.is_empty() => self.note(
                    ploc,
                    RepairKind::BadParameter,
                    format!("ignored a {whr} parameter without a name"),
                ),
                "query" | "header" | "path" => {
                    self.no_share += 1;
                    let s = self.schema(
                        p,
                        ploc,
                        Mode {
                            param: true,
                            skip_strays: false,
                        },
                    );
                    self.no_share -= 1;
                    let s = s?;
                    match whr.as_str() {
                        "query" => {
                            query_parameter(&name, &s)?;
                            query_locs.insert(name.clone(), ploc.clone());
                            op.query.insert(name, s);
                        }
                        "header" => self.header_parameter(op, name, s, ploc),
                        _ => {
                            let s = self.plain_text(s, &format!("path parameter '{name}'"), ploc);
                            path_params.insert(name, (s, ploc.clone()));
                        }
                    }
                }
                other => {
                    self.note(
                        ploc,
                        RepairKind::BadParameter,
                        format!("ignored parameter '{name}' with unknown location in: '{other}'"),
                    );
                }
            }
        }
        self.path_parameters(op, path_params, query_locs, url, loc);
        Ok(form)
    }

    /// The body parameter's schema (any JSON without one); a second body is ignored.
    fn body_parameter(&mut self, op: &mut Operation, ploc: &Loc) -> R<()> {
        if op.body.is_some() {
            self.note(
                ploc,
                RepairKind::DuplicateBody,
                "ignored a second body parameter".into(),
            );
            return Ok(());
        }
        let sloc = ploc.key("schema");
        let sv = sloc.get().clone();
        if sv.is_null() {
            self.note(
                ploc,
                RepairKind::BodyWithoutSchema,
                "body parameter without schema: read as any JSON".into(),
            );
            op.body = Some(json());
        } else {
            op.body = Some(self.schema(&sv, &sloc, Mode::default())?);
        }
        Ok(())
    }

    /// A header parameter: plain text; `Wechatpay-Serial` is the client's, not a field.
    fn header_parameter(&mut self, op: &mut Operation, name: String, s: Schema, ploc: &Loc) {
        if name.eq_ignore_ascii_case("Wechatpay-Serial") {
            self.note(
                ploc,
                RepairKind::TransportHeader,
                "Wechatpay-Serial is set by the client (the key it encrypted with, or the configured WeChat Pay public key): not a request field".into(),
            );
            return;
        }
        let mut s = self.plain_text(s, &format!("header '{name}'"), ploc);
        if s.ty.as_deref() != Some("string") {
            self.note(ploc, RepairKind::HeaderType, format!("header '{name}' read as string"));
            s.ty = Some("string".into());
            s.format = None;
        }
        op.headers.insert(name, s);
    }

    /// A header or path parameter that carries JSON text (`x-json`) is read as plain text.
    fn plain_text(&mut self, mut s: Schema, what: &str, ploc: &Loc) -> Schema {
        if s.json.take().is_some() {
            self.note(
                ploc,
                RepairKind::XJson,
                format!("{what} carries JSON text: read as a plain string"),
            );
        }
        s
    }

    /// Operation-level `x-is-sensitive`: names of parameters or body properties.
    fn operation_sensitive(&mut self, m: &Mapping, op: &mut Operation, loc: &Loc) {
        let Some(xs) = lookup(m, "x-is-sensitive") else {
            return;
        };
        let kloc = loc.key("x-is-sensitive");
        for name in str_list(Some(xs)) {
            let mut hit = false;
            for map in [&mut op.query, &mut op.headers, &mut op.path] {
                if let Some(s) = map.get_mut(&name) {
                    s.sensitive = true;
                    hit = true;
                }
            }
            if let Some(props) = op.body.as_mut().and_then(|b| b.properties.as_mut()) {
                if let Some(s) = props.get_mut(&name) {
                    s.sensitive = true;
                    hit = true;
                }
            }
            if !hit {
                self.note(
                    &kloc,
                    RepairKind::SensitiveUnknown,
                    format!("x-is-sensitive names '{name}', which is no parameter or body property: ignored"),
                );
            }
        }
    }

    /// The request struct holds the query parameters, headers, body fields and form parts
    /// side by side: two that become one Rust field cannot both be kept.
    fn request_collisions(&mut self, op: &mut Operation, loc: &Loc) {
        let mut taken = HashMap::new();
        self.drop_field_collisions(&mut op.query, loc, &mut taken);
        self.drop_field_collisions(&mut op.headers, loc, &mut taken);
        if let Some(props) = op.body.as_mut().and_then(|b| b.properties.as_mut()) {
            self.drop_field_collisions(props, loc, &mut taken);
        }
        if let Some(up) = op.upload.as_mut() {
            if let Some(props) = up.meta.properties.as_mut() {
                self.drop_field_collisions(props, loc, &mut taken);
            }
            self.drop_field_collisions(&mut up.fields, loc, &mut taken);
        }
    }

    /// Properties (or parameters) whose names become one Rust field (`self` and `Self`,
    /// `payAuthNo` and `pay_auth_no`; `taken`: field → the name that has it) cannot be
    /// generated side by side: the later one is dropped, with a repair line saying which.
    pub(super) fn drop_field_collisions(
        &mut self,
        map: &mut IndexMap<String, Schema>,
        loc: &Loc,
        taken: &mut HashMap<String, String>,
    ) {
        let mut dropped = Vec::new();
        for name in map.keys() {
            let field = wechatpay_model::naming::field(name);
            match taken.get(&field) {
                Some(first) => dropped.push((name.clone(), first.clone(), field)),
                None => {
                    taken.insert(field, name.clone());
                }
            }
        }
        for (name, first, field) in dropped {
            map.shift_remove(&name);
            let at = if loc
                .path
                .last()
                .is_some_and(|p| matches!(p, Seg::Key(k) if k == "properties"))
            {
                loc.key(&name)
            } else {
                loc.clone()
            };
            self.note(
                &at,
                RepairKind::FieldCollision,
                format!("'{first}' and '{name}' both become the Rust field `{field}`: '{name}' is left out (a hand edit may rename it)"),
            );
        }
    }

    pub(super) fn upload(&mut self, op: &mut Operation, form: Vec<(String, Loc, Value)>, loc: &Loc) -> R<()> {
        let names: Vec<&str> = form.iter().map(|(n, _, _)| n.as_str()).collect();
        let files: Vec<&str> = form
            .iter()
            .filter(|(_, _, p)| p.get("type").and_then(Value::as_str) == Some("file"))
            .map(|(n, _, _)| n.as_str())
            .collect();
        let [file] = files[..] else {
            return Err(Fail::Skip(format!(
                "multipart/form-data upload: {} file parts among the form fields [{}] (the format has one)",
                files.len(),
                names.join(", ")
            )));
        };
        let file = file.to_owned();
        let Some((_, mloc, mp)) = form.iter().find(|(n, _, _)| n == "meta") else {
            return Err(Fail::Skip(format!(
                "multipart/form-data upload: no 'meta' part among the form fields [{}]",
                names.join(", ")
            )));
        };
        let sloc = mloc.key("schema");
        let sv = sloc.get().clone();
        if sv.is_null() {
            return Err(Fail::Skip(format!(
                "multipart/form-data upload: the 'meta' part at {} has no schema: (its JSON shape is unknown)",
                mloc.at()
            )));
        }
        let mut meta = self.schema(&sv, &sloc, Mode::default())?;
        if meta.properties.is_none() {
            return Err(Fail::Skip(format!(
                "multipart/form-data upload: the schema of the 'meta' part at {} is not an object",
                mloc.at()
            )));
        }
        meta.required = false;
        if meta.description.is_none() {
            meta.description = mp.get("description").and_then(scalar_text);
        }
        let mut fields = IndexMap::new();
        for (name, ploc, p) in &form {
            if *name == file || name == "meta" {
                continue;
            }
            self.no_share += 1;
            let s = self.schema(
                p,
                ploc,
                Mode {
                    param: true,
                    skip_strays: false,
                },
            );
            self.no_share -= 1;
            let s = s?;
            if !matches!(s.ty.as_deref(), Some("string" | "integer" | "number" | "boolean")) || s.properties.is_some() {
                return Err(Fail::Skip(format!(
                    "multipart/form-data upload: the form field '{name}' is not a scalar"
                )));
            }
            fields.insert(name.clone(), s);
        }
        if op.body.take().is_some() {
            self.note(
                loc,
                RepairKind::MultipartBody,
                "a multipart upload has no JSON body: the body parameter is ignored".into(),
            );
        }
        op.upload = Some(Upload { file, meta, fields });
        Ok(())
    }

    /// The parameters, with `$ref` entries resolved.
    pub(super) fn parameters(&mut self, m: &Mapping, loc: &Loc) -> R<Vec<(Loc, Value)>> {
        let mut out = Vec::new();
        let Some(ps) = lookup(m, "parameters") else {
            return Ok(out);
        };
        let ploc = loc.key("parameters");
        let Some(seq) = ps.as_sequence() else {
            if !ps.is_null() {
                self.note(
                    &ploc,
                    RepairKind::BadParameter,
                    "parameters is not a list: ignored".into(),
                );
            }
            return Ok(out);
        };
        for (i, p) in seq.iter().enumerate() {
            let l = ploc.idx(i);
            match p.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let r = r.to_owned();
                    let t = self.resolve(&r, &l.key("$ref"))?;
                    let v = t.get().clone();
                    if p.as_mapping().is_some_and(|mm| mm.len() > 1) {
                        self.note(
                            &l,
                            RepairKind::RefSibling,
                            "ignored keys beside a parameter $ref (Swagger 2)".into(),
                        );
                    }
                    out.push((t, v));
                }
                None => out.push((l, p.clone())),
            }
        }
        Ok(out)
    }

    pub(super) fn path_parameters(
        &mut self,
        op: &mut Operation,
        mut params: IndexMap<String, (Schema, Loc)>,
        query_locs: IndexMap<String, Loc>,
        url: &str,
        loc: &Loc,
    ) {
        let placeholders: Vec<String> = url
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        self.placeholders_from_query(op, &placeholders, &mut params, &query_locs, loc);
        self.misnamed_path_parameters(&placeholders, &mut params, url);
        for p in &placeholders {
            match params.shift_remove(p) {
                Some((s, ploc)) => {
                    let s = self.path_parameter(p, s, &ploc);
                    op.path.insert(p.clone(), s);
                }
                None => {
                    self.note(
                        loc,
                        RepairKind::PathParamMissing,
                        format!("placeholder '{{{p}}}' has no path parameter: added as a string"),
                    );
                    op.path.insert(
                        p.clone(),
                        Schema {
                            ty: Some("string".into()),
                            ..Schema::default()
                        },
                    );
                }
            }
        }
    }

    /// A placeholder listed again as a query parameter: the value goes in the path, once.
    fn placeholders_from_query(
        &mut self,
        op: &mut Operation,
        placeholders: &[String],
        params: &mut IndexMap<String, (Schema, Loc)>,
        query_locs: &IndexMap<String, Loc>,
        loc: &Loc,
    ) {
        for p in placeholders {
            if let Some(q) = op.query.shift_remove(p) {
                let qloc = query_locs.get(p).cloned().unwrap_or_else(|| loc.clone());
                self.note(
                    &qloc,
                    RepairKind::PathParamInQuery,
                    format!("'{p}' is a URL placeholder and also a query parameter: a path parameter only (not sent in the query)"),
                );
                params.entry(p.clone()).or_insert((q, qloc));
            }
        }
    }

    /// Path parameters the URL does not name: one placeholder without parameter and one
    /// parameter without placeholder is a misspelt name (renamed); other extras are ignored.
    fn misnamed_path_parameters(
        &mut self,
        placeholders: &[String],
        params: &mut IndexMap<String, (Schema, Loc)>,
        url: &str,
    ) {
        let missing: Vec<&String> = placeholders.iter().filter(|p| !params.contains_key(*p)).collect();
        let extra: Vec<String> = params.keys().filter(|k| !placeholders.contains(k)).cloned().collect();
        if missing.len() == 1 && extra.len() == 1 {
            let (s, ploc) = params.shift_remove(&extra[0]).expect("present");
            self.note(
                &ploc,
                RepairKind::PathParamRenamed,
                format!(
                    "path parameter '{}' is not in the URL: read as the placeholder '{{{}}}'",
                    extra[0], missing[0]
                ),
            );
            params.insert(missing[0].clone(), (s, ploc));
        } else {
            for e in &extra {
                let (_, ploc) = params.shift_remove(e).expect("present");
                self.note(
                    &ploc,
                    RepairKind::PathParamExtra,
                    format!("path parameter '{e}' is not in the URL {url}: ignored"),
                );
            }
        }
    }

    /// One path parameter as a path segment holds it: never required (always present), an
    /// enum as a string with its values in the description, a number as an integer, anything
    /// else as a string.
    fn path_parameter(&mut self, p: &str, mut s: Schema, ploc: &Loc) -> Schema {
        s.required = false; // a placeholder is always present
        if let Some(e) = s.enum_.take() {
            let vals: Vec<String> = e
                .iter()
                .map(|v| match v.description() {
                    Some(d) => format!("{}（{d}）", v.value()),
                    None => v.value().to_string(),
                })
                .collect();
            let list = format!("可选值: {}", vals.join(", "));
            s.description = Some(match s.description.take() {
                Some(d) => format!("{d}\n\n{list}"),
                None => list,
            });
            self.note(
                ploc,
                RepairKind::PathParamEnum,
                format!("path parameter '{p}' is an enum: read as a string, its values listed in the description"),
            );
            if s.ty.as_deref() != Some("integer") {
                s.ty = Some("string".into());
            }
        }
        match s.ty.as_deref() {
            Some("string") | Some("integer") => {}
            Some("number") => {
                self.note(
                    ploc,
                    RepairKind::PathParamType,
                    format!("path parameter '{p}' of type number read as integer"),
                );
                s.ty = Some("integer".into());
                s.format = None;
            }
            other => {
                self.note(
                    ploc,
                    RepairKind::PathParamType,
                    format!(
                        "path parameter '{p}' of type {} read as string",
                        other.unwrap_or("(none)")
                    ),
                );
                s.ty = Some("string".into());
                s.format = None;
                s.enum_ = None;
            }
        }
        s
    }
}

/// A query array is sent comma-joined: its items must be scalars (or a string enum).
fn query_parameter(name: &str, s: &Schema) -> R<()> {
    if s.ty.as_deref() != Some("array") {
        return Ok(());
    }
    let items = s.items.as_deref();
    let scalar = items.is_some_and(|i| {
        i.ref_.is_none()
            && i.properties.is_none()
            && matches!(i.ty.as_deref(), Some("string" | "integer" | "number" | "boolean"))
    });
    if scalar {
        Ok(())
    } else {
        Err(Fail::Skip(format!(
            "array query parameter: '{name}' has items that are not scalars"
        )))
    }
}

pub(super) fn op_method(loc: &Loc) -> String {
    match loc.path.last() {
        Some(Seg::Key(k)) => k.to_ascii_lowercase(),
        _ => String::new(),
    }
}
