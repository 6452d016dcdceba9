//! Operations: parameters, bodies, uploads, the success response and the response rule.

use super::RepairKind;
use std::collections::HashMap;

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

use super::{is_json_type, json, scalar_text, str_list, Conv, Fail, Mode, OP_DROPPED, R};
use crate::lines::Seg;
use crate::{key_string, lookup, Loc};
use wechatpay_model::spec::{Content, Operation, Response, ResponseSignature, Schema, Upload};

impl Conv<'_> {
    pub(super) fn operation(&mut self, v: &Value, loc: &Loc, url: &str, rel: &str) -> R<Operation> {
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

        // Parameters.
        let mut path_params: IndexMap<String, (Schema, Loc)> = IndexMap::new();
        let mut query_locs: IndexMap<String, Loc> = IndexMap::new();
        let mut form: Vec<(String, Loc, Value)> = Vec::new();
        for (ploc, p) in &params {
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
                "body" => {
                    if op.body.is_some() {
                        self.note(
                            ploc,
                            RepairKind::DuplicateBody,
                            "ignored a second body parameter".into(),
                        );
                        continue;
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
                }
                "formData" => {
                    if name.is_empty() {
                        self.note(
                            ploc,
                            RepairKind::BadParameter,
                            "ignored a formData parameter without a name".into(),
                        );
                        continue;
                    }
                    form.push((name, ploc.clone(), p.clone()));
                }
                "query" | "header" | "path" => {
                    if name.is_empty() {
                        self.note(
                            ploc,
                            RepairKind::BadParameter,
                            format!("ignored a {whr} parameter without a name"),
                        );
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
                    let mut s = s?;
                    match whr.as_str() {
                        "query" => {
                            if s.ty.as_deref() == Some("array") {
                                // Sent comma-joined: the items must be scalars (or a string enum).
                                let items = s.items.as_deref();
                                let scalar = items.is_some_and(|i| {
                                    i.ref_.is_none()
                                        && i.properties.is_none()
                                        && matches!(i.ty.as_deref(), Some("string" | "integer" | "number" | "boolean"))
                                });
                                if !scalar {
                                    return Err(Fail::Skip(format!(
                                        "array query parameter: '{name}' has items that are not scalars"
                                    )));
                                }
                            }
                            query_locs.insert(name.clone(), ploc.clone());
                            op.query.insert(name, s);
                        }
                        "header" if name.eq_ignore_ascii_case("Wechatpay-Serial") => {
                            self.note(
                                ploc,
                                RepairKind::TransportHeader,
                                "Wechatpay-Serial is set by the client (the key it encrypted with, or the configured WeChat Pay public key): not a request field".into(),
                            );
                        }
                        "header" => {
                            if s.json.take().is_some() {
                                self.note(
                                    ploc,
                                    RepairKind::XJson,
                                    format!("header '{name}' carries JSON text: read as a plain string"),
                                );
                            }
                            if s.ty.as_deref() != Some("string") {
                                self.note(ploc, RepairKind::HeaderType, format!("header '{name}' read as string"));
                                s.ty = Some("string".into());
                                s.format = None;
                            }
                            op.headers.insert(name, s);
                        }
                        _ => {
                            if s.json.take().is_some() {
                                self.note(
                                    ploc,
                                    RepairKind::XJson,
                                    format!("path parameter '{name}' carries JSON text: read as a plain string"),
                                );
                            }
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
        self.path_parameters(&mut op, path_params, query_locs, url, rel, loc);
        if multipart {
            self.upload(&mut op, form, loc)?;
        } else if !form.is_empty() {
            // Unreachable: formData parameters make the operation multipart.
            return Err(Fail::Skip("formData parameters without multipart".into()));
        }

        // Operation-level x-is-sensitive: names of parameters or body properties.
        if let Some(xs) = lookup(m, "x-is-sensitive") {
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

        // The request struct holds the query parameters, headers, body fields and form parts
        // side by side: two that become one Rust field cannot both be kept.
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

        // Response.
        let mut response = Response {
            status,
            body: None,
            content: None,
            signature: None,
        };
        if let (Some(rv), Some(rloc)) = (resp, resp_loc) {
            let sloc = rloc.key("schema");
            let sv = sloc.get().clone();
            let empty = match &sv {
                Value::Null => true,
                Value::Mapping(mm) => mm.is_empty(),
                _ => false,
            };
            // Binary (file) downloads, from the facts of the description (see the module docs).
            let has_schema = rv.get("schema").is_some();
            let non_json: Vec<&String> = produces.iter().filter(|p| !is_json_type(p)).collect();
            let binary: Option<ResponseSignature> = if self.v2 {
                self.v2_file(url, &sloc, empty)
            } else if let Some(h) = rv.get("headers") {
                let names: Vec<String> = h
                    .as_mapping()
                    .map(|mm| mm.keys().filter_map(key_string).collect())
                    .unwrap_or_default();
                if !empty {
                    return Err(Fail::Skip(format!(
                        "response headers: the {status} response has headers [{}] beside a JSON body",
                        names.join(", ")
                    )));
                }
                if !names.iter().any(|n| n.eq_ignore_ascii_case("Wechatpay-Statement-Sha1")) {
                    return Err(Fail::Skip(format!(
                        "file download: the {status} response has headers [{}] but no Wechatpay-Statement-Sha1 (how it is authenticated is unknown)",
                        names.join(", ")
                    )));
                }
                Some(ResponseSignature::StatementSha1)
            } else if !non_json.is_empty() {
                if non_json.len() != produces.len() {
                    return Err(Fail::Skip(format!(
                        "mixed download: produces both JSON and non-JSON ({})",
                        produces.join(", ")
                    )));
                }
                if !empty {
                    self.note(
                        &sloc,
                        RepairKind::BinarySchema,
                        format!(
                            "the operation produces {}: the response schema is ignored",
                            produces.join(", ")
                        ),
                    );
                }
                Some(ResponseSignature::None)
            } else if empty && !has_schema && status == 200 && op_method(loc) == "get" {
                // `200: {}` on a GET that declares no produces: raw bytes (an image).
                Some(ResponseSignature::None)
            } else {
                None
            };
            if let Some(sig) = binary {
                response.content = Some(Content::Binary);
                response.signature = Some(sig);
            } else if !empty {
                if status == 204 {
                    self.note(
                        &sloc,
                        RepairKind::BodyOn204,
                        "ignored the schema of a 204 response (no content)".into(),
                    );
                } else {
                    self.in_response = true;
                    let body = self.schema(&sv, &sloc, Mode::default());
                    self.in_response = false;
                    let mut body = body?;
                    if !self.v2 {
                        self.response_rule(&op, &mut body, &sloc);
                    }
                    response.body = Some(body);
                }
            }
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

    /// A multipart/form-data upload: one `type: file` part, the `meta` part (its JSON shape is
    /// the non-standard `schema:` beside it) and any other text parts as scalar `fields`.
    /// The response rule (spec/README.md): the description's `required` on response fields
    /// over-promises (real query responses and notifications omit fields it marks required), so
    /// a response field is optional unless there is evidence that it is always present. The
    /// evidence the importer accepts: a top-level field the description marks required whose
    /// name is an input of the same operation (a path placeholder, query parameter or top-level
    /// body field), which WeChat Pay echoes back. One repair line per operation.
    pub(super) fn response_rule(&mut self, op: &Operation, body: &mut Schema, loc: &Loc) {
        let inputs: Vec<&String> = op
            .path
            .keys()
            .chain(op.query.keys())
            .chain(op.body.iter().flat_map(|b| b.properties.iter().flat_map(|p| p.keys())))
            .collect();
        let mut kept = Vec::new();
        let mut loosened = 0;
        if let Some(props) = &mut body.properties {
            for (name, p) in props.iter_mut() {
                if p.required && inputs.contains(&name) {
                    kept.push(name.clone());
                } else if p.required {
                    p.required = false;
                    loosened += 1;
                }
                loosen(p, false, &mut loosened);
            }
        } else {
            loosen(body, false, &mut loosened);
        }
        if loosened > 0 || !kept.is_empty() {
            let kept = if kept.is_empty() {
                String::new()
            } else {
                format!("; kept required (echoed from the request): {}", kept.join(", "))
            };
            self.note(
                loc,
                RepairKind::ResponseOptional,
                format!("{loosened} response fields marked required read as optional{kept}"),
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

    /// The success response: the lowest 2xx code.
    pub(super) fn success_response(&mut self, m: &Mapping, loc: &Loc) -> R<(u16, Option<Loc>, Option<Value>)> {
        let Some(rs) = lookup(m, "responses").and_then(Value::as_mapping) else {
            self.note(
                loc,
                RepairKind::NoResponses,
                "no responses: read as 200 with an undescribed body".into(),
            );
            return Ok((200, None, None));
        };
        let mut best: Option<(u16, String)> = None;
        for k in rs.keys() {
            let Some(ks) = key_string(k) else { continue };
            let Ok(code) = ks.trim().parse::<u16>() else { continue };
            if (200..300).contains(&code) && best.as_ref().is_none_or(|(b, _)| code < *b) {
                best = Some((code, ks));
            }
        }
        let Some((code, ks)) = best else {
            let codes: Vec<String> = rs.keys().filter_map(key_string).collect();
            return Err(Fail::Skip(format!("no success response: codes [{}]", codes.join(", "))));
        };
        let rloc = loc.key("responses").key(&ks);
        let v = rloc.get().clone();
        let v = if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let r = r.to_owned();
            let t = self.resolve(&r, &rloc.key("$ref"))?;
            let tv = t.get().clone();
            return Ok((code, Some(t), Some(tv)));
        } else {
            v
        };
        Ok((code, Some(rloc), Some(v)))
    }

    pub(super) fn path_parameters(
        &mut self,
        op: &mut Operation,
        mut params: IndexMap<String, (Schema, Loc)>,
        query_locs: IndexMap<String, Loc>,
        url: &str,
        rel: &str,
        loc: &Loc,
    ) {
        let placeholders: Vec<String> = url
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        // A placeholder listed again as a query parameter: the value goes in the path, once.
        for p in &placeholders {
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
        let missing: Vec<&String> = placeholders.iter().filter(|p| !params.contains_key(*p)).collect();
        let extra: Vec<String> = params.keys().filter(|k| !placeholders.contains(k)).cloned().collect();
        // One placeholder without parameter and one parameter without placeholder: a misspelt name.
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
        let _ = rel;
        for p in &placeholders {
            match params.shift_remove(p) {
                Some((mut s, ploc)) => {
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
                            &ploc,
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
                                &ploc,
                                RepairKind::PathParamType,
                                format!("path parameter '{p}' of type number read as integer"),
                            );
                            s.ty = Some("integer".into());
                            s.format = None;
                        }
                        other => {
                            self.note(
                                &ploc,
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
}

/// Marks every property below `s` optional (through array items, and with `json` into the JSON
/// a string carries), counting the ones it changed.
pub(super) fn loosen(s: &mut Schema, json: bool, count: &mut usize) {
    for p in s.properties.iter_mut().flat_map(|p| p.values_mut()) {
        if p.required {
            p.required = false;
            *count += 1;
        }
        loosen(p, json, count);
    }
    if let Some(inner) = s.json.as_mut().filter(|_| json) {
        loosen(inner, json, count);
    }
    if let Some(items) = &mut s.items {
        loosen(items, json, count);
    }
}

pub(super) fn op_method(loc: &Loc) -> String {
    match loc.path.last() {
        Some(Seg::Key(k)) => k.to_ascii_lowercase(),
        _ => String::new(),
    }
}
