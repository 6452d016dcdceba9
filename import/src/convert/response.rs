//! The success response: which one, a binary download or a JSON body, and the response rule.

use serde_yaml::{Mapping, Value};

use super::operation::op_method;
use super::{is_json_type, key_string, Conv, Fail, Mode, RepairKind, R};
use crate::{lookup, Loc};
use wechatpay_model::spec::{Content, Operation, Response, ResponseSignature, Schema};

impl Conv<'_> {
    /// The success response's body into `response`: a binary download (by the facts of the
    /// description, see the module docs) or a JSON body, with the response rule applied.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn response_body(
        &mut self,
        response: &mut Response,
        rv: &Value,
        rloc: &Loc,
        produces: &[String],
        op: &Operation,
        url: &str,
        loc: &Loc,
    ) -> R<()> {
        let status = response.status;
        let sloc = rloc.key("schema");
        let sv = sloc.get().clone();
        let empty = match &sv {
            Value::Null => true,
            Value::Mapping(mm) => mm.is_empty(),
            _ => false,
        };
        if let Some(sig) = self.download(rv, &sloc, empty, produces, status, url, loc)? {
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
                    self.response_rule(op, &mut body, &sloc);
                }
                response.body = Some(body);
            }
        }
        Ok(())
    }

    /// How a binary (file) download's answer is authenticated, if the response is one.
    #[allow(clippy::too_many_arguments)]
    fn download(
        &mut self,
        rv: &Value,
        sloc: &Loc,
        empty: bool,
        produces: &[String],
        status: u16,
        url: &str,
        loc: &Loc,
    ) -> R<Option<ResponseSignature>> {
        let has_schema = rv.get("schema").is_some();
        let non_json: Vec<&String> = produces.iter().filter(|p| !is_json_type(p)).collect();
        if self.v2 {
            return Ok(self.v2_file(url, sloc, empty));
        }
        if let Some(h) = rv.get("headers") {
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
            return Ok(Some(ResponseSignature::StatementSha1));
        }
        if !non_json.is_empty() {
            if non_json.len() != produces.len() {
                return Err(Fail::Skip(format!(
                    "mixed download: produces both JSON and non-JSON ({})",
                    produces.join(", ")
                )));
            }
            if !empty {
                self.note(
                    sloc,
                    RepairKind::BinarySchema,
                    format!(
                        "the operation produces {}: the response schema is ignored",
                        produces.join(", ")
                    ),
                );
            }
            return Ok(Some(ResponseSignature::None));
        }
        if empty && !has_schema && status == 200 && op_method(loc) == "get" {
            // `200: {}` on a GET that declares no produces: raw bytes (an image).
            return Ok(Some(ResponseSignature::None));
        }
        Ok(None)
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
}

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
