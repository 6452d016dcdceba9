//! APIv2 operations (`spec/v2/`): a `post` whose body is a list of XML fields and whose answer
//! is one too (or a file). A field is text: a string, an integer, a boolean, an enum or JSON
//! carried in a string (`json:`); a field named with `$n` (`coupon_id_$n`) is a list of them
//! (`coupon_id_0`, `coupon_id_1`, …), with `$n_$m` a list of lists.

use super::op::check_field_collisions;
use super::{Body, Builder, Loc, Op, ResponseKind, Signature, Ty, TypeDef, TypeKind, V2Op, V2SignType};
use crate::naming;
use crate::spec::{Method, Operation};

/// How many `$x` placeholders a wire name has.
fn placeholders(wire: &str) -> usize {
    wire.matches('$').count()
}

/// The Rust field of an indexed name: the name without its placeholders and `_list` for a
/// list, `_lists` for a list of lists (`coupon_fee_$n` → `coupon_fee_list`, beside the total
/// `coupon_fee`; `coupon_refund_fee_$n_$m` → `coupon_refund_fee_lists`).
fn list_ident(wire: &str) -> String {
    let mut base = String::new();
    let mut rest = wire;
    while let Some(at) = rest.find('$') {
        base.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        rest = &after[len..];
    }
    base.push_str(rest);
    let suffix = if placeholders(wire) > 1 { "_lists" } else { "_list" };
    naming::field(&format!("{}{suffix}", base.trim_end_matches('_')))
}

impl Builder {
    /// Checks what an APIv2 operation may say and marks its types as XML. `types`: those the
    /// operation made.
    pub(super) fn v2_op(&mut self, op: &Operation, built: &mut Op, loc: &Loc, types: &mut [TypeDef]) -> V2Op {
        if built.method != Method::Post {
            self.errors
                .push(loc.error("an APIv2 operation is a `post` (spec/v2/ holds APIv2 operations only)"));
        }
        for (key, given) in [
            ("path", !op.path.is_empty()),
            ("query", !op.query.is_empty()),
            ("headers", !op.headers.is_empty()),
            ("upload", op.upload.is_some()),
        ] {
            if given {
                self.errors.push(
                    loc.join(key)
                        .error("an APIv2 operation sends an XML body only (`body`), no path, query, header or upload"),
                );
            }
        }
        if let Body::Whole(_) = built.body {
            self.errors.push(
                loc.join("body")
                    .error("an APIv2 body is an object of fields (`properties`)"),
            );
        }
        let sign_type = match op.sign_type.as_deref() {
            None | Some("MD5") => V2SignType::Md5,
            Some("HMAC-SHA256") => V2SignType::HmacSha256,
            Some(other) => {
                self.errors.push(
                    loc.join("sign_type")
                        .error(format!("unknown sign type `{other}` (MD5, HMAC-SHA256)")),
                );
                V2SignType::Md5
            }
        };
        if built.signature == Signature::StatementSha1 {
            self.errors.push(
                loc.join("response")
                    .join("signature")
                    .error("an APIv2 answer is signed in its body (`body`) or not at all (`none`)"),
            );
        }
        if built.response == ResponseKind::Empty {
            self.errors.push(
                loc.join("response")
                    .error("an APIv2 answer is XML: give its `body`, or `content: binary` for a file"),
            );
        }
        let response_name = match &built.response {
            ResponseKind::Json(Ty::Local(name)) => Some(name.clone()),
            ResponseKind::Json(_) => {
                self.errors.push(
                    loc.join("response")
                        .join("body")
                        .error("an APIv2 answer is an object of fields"),
                );
                None
            }
            _ => None,
        };
        let bodies = [
            (built.request.clone(), loc.join("body")),
            (response_name, loc.join("response").join("body")),
        ];
        let enum_names: Vec<String> = types
            .iter()
            .filter(|t| matches!(t.kind, TypeKind::Enum(_)))
            .map(|t| t.name.clone())
            .collect();
        let mut enums = Vec::new();
        for (name, at) in bodies {
            let Some(name) = name else { continue };
            let Some(def) = types.iter_mut().find(|t| t.name == name) else {
                continue;
            };
            def.xml = true;
            let TypeKind::Struct(fields) = &mut def.kind else {
                continue;
            };
            let mut errors = Vec::new();
            for f in fields.iter_mut() {
                let floc = at.join("properties").join(&f.wire);
                let text = match &f.ty {
                    Ty::String | Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::F64 | Ty::Bool | Ty::JsonText(_) => true,
                    Ty::Local(n) if enum_names.contains(n) => {
                        enums.push(n.clone());
                        true
                    }
                    _ => false,
                };
                if !text {
                    errors.push(floc.error(
                        "an APIv2 field is text: a string, integer, number, boolean, enum, or JSON carried in a string (`json`)",
                    ));
                    continue;
                }
                let lists = placeholders(&f.wire);
                if lists > 2 {
                    errors.push(floc.error("an indexed field has at most two placeholders (`name_$n_$m`)"));
                }
                if lists > 0 {
                    for _ in 0..lists.min(2) {
                        f.ty = Ty::Vec(Box::new(f.ty.clone()));
                    }
                    f.required = false;
                    f.ident = list_ident(&f.wire);
                }
            }
            check_field_collisions(fields, |f| at.join("properties").join(&f.wire), &mut errors);
            self.errors.extend(errors);
        }
        // The enums of XML fields are written as their text too.
        for t in types.iter_mut() {
            if enums.contains(&t.name) {
                t.xml = true;
            }
        }
        // A sensitive field (bank details, RSA-encrypted by the client) is a top-level text field.
        for pointer in &built.sensitive {
            let name = pointer.trim_start_matches('/');
            if name.contains('/') || name.is_empty() {
                self.errors.push(loc.join("body").error(format!(
                    "`sensitive` in an APIv2 body is on a top-level field, not at {pointer}"
                )));
            }
        }
        V2Op {
            sign_type,
            cert_required: op.cert_required,
        }
    }

    /// The APIv2 keys are refused outside `spec/v2/`.
    pub(super) fn no_v2_keys(&mut self, op: &Operation, loc: &Loc) {
        if op.cert_required {
            self.errors.push(
                loc.join("cert_required")
                    .error("`cert_required` is for APIv2 operations (spec/v2/)"),
            );
        }
        if op.sign_type.is_some() {
            self.errors.push(
                loc.join("sign_type")
                    .error("`sign_type` is for APIv2 operations (spec/v2/)"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::list_ident;

    #[test]
    fn list_names_lose_their_placeholders() {
        assert_eq!(list_ident("coupon_id_$n"), "coupon_id_list");
        assert_eq!(list_ident("coupon_refund_id_$n_$m"), "coupon_refund_id_lists");
    }
}
