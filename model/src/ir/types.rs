//! The type mapping: the one place where a spec schema becomes a Rust type.

use std::collections::BTreeSet;

use super::op::check_field_collisions;
use super::{Builder, Field, FieldKind, Loc, Ty, TypeDef, TypeKind, Variant};
use crate::naming;
use crate::spec::{Scalar, Schema};

impl Builder {
    /// Maps a schema to a Rust type. Inline objects and string enums become named types
    /// (`hint`), pushed to `out` (local types) — or, with `shared`, named shared types.
    pub(super) fn ty(&mut self, schema: &Schema, hint: &str, loc: &Loc, out: &mut Vec<TypeDef>, shared: bool) -> Ty {
        if schema.cdata && !self.in_v2 {
            self.errors.push(
                loc.join("cdata")
                    .error("`cdata` is for the fields of APIv2 operations (spec/v2/)"),
            );
        }
        if let Some(name) = &schema.ref_ {
            if schema.ty.is_some()
                || schema.properties.is_some()
                || schema.items.is_some()
                || schema.enum_.is_some()
                || schema.format.is_some()
            {
                self.errors
                    .push(loc.error("`ref` stands alone (only `description` and `required` may stand beside it)"));
            }
            if !self.shared_names.contains_key(name) && !self.partial {
                self.errors
                    .push(loc.join("ref").error(format!("no shared type `{name}` in spec/types/")));
            }
            return Ty::Shared(name.clone());
        }
        if let Some(inner) = &schema.json {
            if schema.ty.as_deref().unwrap_or("string") != "string"
                || schema.properties.is_some()
                || schema.items.is_some()
                || schema.enum_.is_some()
                || inner.json.is_some()
            {
                self.errors
                    .push(loc.error("JSON text (`json`) is a `string` whose JSON's shape is given under `json`"));
            }
            return Ty::JsonText(Box::new(self.ty(inner, hint, &loc.join("json"), out, shared)));
        }
        let declared = schema.ty.as_deref();
        let inferred = match declared {
            Some(t) => t,
            None if schema.properties.is_some() => "object",
            None if schema.enum_.is_some() => "string",
            None if schema.items.is_some() => "array",
            None => {
                self.errors
                    .push(loc.error("no `type` (string, integer, number, boolean, object, array, json)"));
                return Ty::Json;
            }
        };
        self.check_enum_values(schema, inferred, loc);
        self.check_example(schema, inferred, loc);
        self.check_money(schema, inferred, loc);
        match inferred {
            "string" if schema.enum_.is_some() => self.named(schema, hint, loc, out, shared),
            "string" => Ty::String,
            "integer" => self.int_ty(schema, loc).unwrap_or(Ty::I64),
            "number" => Ty::F64,
            "boolean" => Ty::Bool,
            "json" => Ty::Json,
            "object" if schema.properties.is_some() => self.named(schema, hint, loc, out, shared),
            "object" => Ty::Json,
            "array" => match &schema.items {
                Some(items) => Ty::Vec(Box::new(self.ty(items, hint, &loc.join("items"), out, shared))),
                None => {
                    self.errors.push(loc.error("an array needs `items`"));
                    Ty::Vec(Box::new(Ty::Json))
                }
            },
            other => {
                self.errors.push(loc.join("type").error(format!(
                    "unknown type `{other}` (string, integer, number, boolean, object, array, json)"
                )));
                Ty::Json
            }
        }
    }

    /// A named struct or enum (`hint` is its name).
    pub(super) fn named(&mut self, schema: &Schema, hint: &str, loc: &Loc, out: &mut Vec<TypeDef>, shared: bool) -> Ty {
        let kind = if let Some(values) = &schema.enum_ {
            if values.is_empty() {
                self.errors
                    .push(loc.join("enum").error("an enum needs at least one value"));
            }
            let raw: Vec<String> = values.iter().map(|v| v.value().to_string()).collect();
            let mut seen = BTreeSet::new();
            for v in &raw {
                if !seen.insert(v.as_str()) {
                    self.errors
                        .push(loc.join("enum").error(format!("the value `{v}` is listed twice")));
                }
            }
            let idents = naming::enum_variants(&raw);
            TypeKind::Enum(
                values
                    .iter()
                    .zip(raw)
                    .zip(idents)
                    .map(|((v, value), ident)| Variant {
                        value,
                        ident,
                        description: v.description().map(str::to_string),
                    })
                    .collect(),
            )
        } else {
            self.check_object(schema, loc);
            let props = schema.properties.as_ref().expect("object with properties");
            let mut fields = Vec::new();
            for (name, prop) in props {
                let floc = loc.join("properties").join(name);
                let hint = naming::nested_type(hint, name);
                let ty = self.ty(prop, &hint, &floc, out, shared);
                let mut f = self.field_from(name, prop, ty);
                f.kind = FieldKind::Body;
                fields.push(f);
            }
            check_field_collisions(&fields, |f| loc.join("properties").join(&f.wire), &mut self.errors);
            TypeKind::Struct(fields)
        };
        out.push(TypeDef {
            name: hint.to_string(),
            description: schema.description.clone(),
            kind,
            default: false,
            xml: false,
        });
        if shared {
            Ty::Shared(hint.to_string())
        } else {
            Ty::Local(hint.to_string())
        }
    }

    pub(super) fn field(
        &mut self,
        wire: &str,
        schema: &Schema,
        loc: &Loc,
        parent: &str,
        kind: FieldKind,
        types: &mut Vec<TypeDef>,
    ) -> Field {
        let hint = naming::nested_type(parent, wire);
        let ty = self.ty(schema, &hint, loc, types, false);
        let mut f = self.field_from(wire, schema, ty);
        f.kind = kind;
        f
    }

    pub(super) fn field_from(&self, wire: &str, schema: &Schema, ty: Ty) -> Field {
        let int_values = if matches!(ty, Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::F64) {
            schema
                .enum_
                .iter()
                .flatten()
                .map(|v| (v.value().to_string(), v.description().map(str::to_string)))
                .collect()
        } else {
            Vec::new()
        };
        Field {
            wire: wire.to_string(),
            ident: naming::field(wire),
            ty,
            required: schema.required,
            kind: FieldKind::Body,
            description: schema.description.clone(),
            deprecated: schema.deprecated,
            sensitive: schema.sensitive,
            example: schema.example.as_ref().and_then(example_text),
            int_values,
            cdata: schema.cdata,
            fill: None,
        }
    }

    pub(super) fn check_object(&mut self, schema: &Schema, loc: &Loc) {
        if let Some(t) = schema.ty.as_deref() {
            if t != "object" {
                self.errors.push(
                    loc.join("type")
                        .error(format!("`properties` belong to an object, not `{t}`")),
                );
            }
        }
        if schema.items.is_some() || schema.enum_.is_some() || schema.ref_.is_some() {
            self.errors
                .push(loc.error("an object has `properties` only (no `items`, `enum` or `ref`)"));
        }
    }

    /// The values of an enum are of its type: integers for `integer`, strings for `string` (a
    /// bare `1` in a string enum is the string `"1"`; `true` or `1.5` must be quoted).
    pub(super) fn check_enum_values(&mut self, schema: &Schema, ty: &str, loc: &Loc) {
        for v in schema.enum_.iter().flatten() {
            let wrong = match (ty, v.value()) {
                ("integer", Scalar::Int(_)) => None,
                ("integer", other) => Some(format!("the value `{other}` of an integer enum is not an integer")),
                ("string", Scalar::Float(_) | Scalar::Bool(_)) => Some(format!(
                    "the value `{}` of a string enum is not a string: quote it",
                    v.value()
                )),
                _ => None,
            };
            if let Some(message) = wrong {
                self.errors.push(loc.join("enum").error(message));
            }
        }
    }

    /// A scalar example is of its field's type (an integer is written `550`, not `'550'`; a
    /// string that looks like a number is quoted) and, for an enum, one of its values: the
    /// documentation, the sandbox's answers and the tests are built from examples.
    pub(super) fn check_example(&mut self, schema: &Schema, ty: &str, loc: &Loc) {
        use serde_yaml::Value;
        let Some(example) = &schema.example else { return };
        let fits = match (ty, example) {
            (_, Value::Sequence(_) | Value::Mapping(_) | Value::Null | Value::Tagged(_)) => return,
            ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
            ("number", Value::Number(_)) | ("boolean", Value::Bool(_)) | ("string", Value::String(_)) => true,
            ("integer" | "number" | "boolean" | "string", _) => false,
            _ => return,
        };
        let shown = example_text(example).unwrap_or_default();
        if !fits {
            let shown = match example {
                Value::String(text) => format!("'{text}'"),
                _ => shown,
            };
            let hint = if ty == "string" { ": quote it" } else { "" };
            self.errors.push(
                loc.join("example")
                    .error(format!("the example `{shown}` is not {}{hint}", article(ty))),
            );
            return;
        }
        let Some(values) = &schema.enum_ else { return };
        let listed = values.iter().any(|v| match (v.value(), example) {
            (Scalar::Str(s), Value::String(e)) => s == e,
            (Scalar::Int(i), Value::Number(n)) => n.as_i64() == Some(*i),
            _ => false,
        });
        if !listed {
            self.errors.push(
                loc.join("example")
                    .error(format!("the example `{shown}` is not one of the enum's values")),
            );
        }
    }

    /// An amount documented in fen (单位为分) is an integer: money is never text or a float.
    pub(super) fn check_money(&mut self, schema: &Schema, ty: &str, loc: &Loc) {
        let in_fen = schema.description.as_deref().is_some_and(|d| d.contains("单位为分"));
        if in_fen && schema.enum_.is_none() && matches!(ty, "string" | "number") {
            self.errors.push(loc.join("type").error(format!(
                "an amount in fen (单位为分, says the description) is an integer, not a {ty}"
            )));
        }
    }

    pub(super) fn shared_is_struct(&self, name: &str) -> bool {
        self.shared_structs.contains(name)
    }
}

fn article(ty: &str) -> String {
    match ty {
        "integer" => "an integer".into(),
        other => format!("a {other}"),
    }
}

pub(super) fn example_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Null => None,
        other => serde_yaml::to_string(other).ok().map(|s| s.trim().to_string()),
    }
}
