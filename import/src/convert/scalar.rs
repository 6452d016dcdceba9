//! Scalars: `type` and `format`, enums, YAML 1.1 readings, and the integer-or-float rule.

use serde_yaml::{Mapping, Value};

use super::{scalar_text, Conv, RepairKind, TYPES};
use crate::lines::Seg;
use crate::{lookup, Loc};
use wechatpay_model::spec::{DescribedValue, EnumValue, Scalar, Schema};

impl Conv<'_> {
    pub(super) fn type_and_format(
        &mut self,
        m: &Mapping,
        loc: &Loc,
        example: &mut Option<Value>,
    ) -> (Option<String>, Option<String>) {
        let tloc = loc.key("type");
        let floc = loc.key("format");
        let mut format = lookup(m, "format").and_then(scalar_text);
        let ty = match lookup(m, "type") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let raw = scalar_text(v).unwrap_or_default();
                let t = raw.trim().to_ascii_lowercase();
                if TYPES.contains(&raw.as_str()) {
                    Some(raw)
                } else if TYPES.contains(&t.as_str()) {
                    self.note(&tloc, RepairKind::BadType, format!("type '{raw}' read as '{t}'"));
                    Some(t)
                } else if ["int", "long", "short"].contains(&t.as_str()) {
                    self.note(&tloc, RepairKind::BadType, format!("type '{raw}' read as 'integer'"));
                    Some("integer".into())
                } else if ["int32", "int64", "uint32", "uint64", "uint"].contains(&t.as_str()) {
                    let f = if t == "uint" { "uint64".to_owned() } else { t.clone() };
                    self.note(
                        &tloc,
                        RepairKind::BadType,
                        format!("type '{raw}' read as 'integer' with format '{f}'"),
                    );
                    format = Some(f);
                    Some("integer".into())
                } else if ["float", "double"].contains(&t.as_str()) {
                    self.note(&tloc, RepairKind::BadType, format!("type '{raw}' read as 'number'"));
                    Some("number".into())
                } else if ["bool"].contains(&t.as_str()) {
                    self.note(&tloc, RepairKind::BadType, format!("type '{raw}' read as 'boolean'"));
                    Some("boolean".into())
                } else if let Some(k) = TYPES.iter().find(|k| t.starts_with(*k) && t.len() <= k.len() + 3) {
                    self.note(&tloc, RepairKind::BadType, format!("type '{raw}' read as '{k}' (typo)"));
                    Some((*k).to_owned())
                } else {
                    // The type field holds a value (an example, mis-placed).
                    let kept = if example.is_none() {
                        *example = Some(v.clone());
                        ", kept as the example"
                    } else {
                        ""
                    };
                    self.note(
                        &tloc,
                        RepairKind::TypeIsValue,
                        format!("type '{raw}' is not a type but a value: read as string{kept}"),
                    );
                    Some("string".into())
                }
            }
        };
        let Some(ty) = ty else {
            if let Some(f) = &format {
                // Untyped with a format: infer an integer from integer formats.
                if ["int32", "int64", "uint32", "uint64", "integer"].contains(&f.as_str()) {
                    self.note(
                        &floc,
                        RepairKind::Untyped,
                        format!("schema without type but format '{f}': read as integer"),
                    );
                    let f = (f != "integer").then(|| f.clone());
                    return (Some("integer".into()), f);
                }
            }
            return (None, format);
        };
        let int_fmt = |f: &str| -> Option<&'static str> {
            match f {
                "int32" => Some("int32"),
                "int64" => Some("int64"),
                "uint32" | "unit32" => Some("uint32"),
                "uint64" | "unit64" | "uint" => Some("uint64"),
                _ => None,
            }
        };
        match (ty.as_str(), format.as_deref()) {
            (_, None) => (Some(ty), None),
            ("number", Some("integer")) | ("number", Some("int")) => {
                self.note(
                    &floc,
                    RepairKind::NumberInteger,
                    "type number with format integer read as integer".into(),
                );
                (Some("integer".into()), None)
            }
            ("number", Some(f)) if int_fmt(f).is_some() => {
                let g = int_fmt(f).unwrap();
                self.note(
                    &floc,
                    RepairKind::NumberInteger,
                    format!("type number with format {f} read as integer with format {g}"),
                );
                (Some("integer".into()), Some(g.into()))
            }
            ("number", Some(f)) => {
                if f != "float" && f != "double" {
                    self.note(
                        &floc,
                        RepairKind::BadFormat,
                        format!("format '{f}' of a number dropped"),
                    );
                } else {
                    self.imp.drop_keyword(&floc, &format!("format: {f}"));
                }
                (Some(ty), None)
            }
            ("integer", Some(f)) => match int_fmt(f) {
                Some(g) if g == f => (Some(ty), Some(g.into())),
                Some(g) => {
                    self.note(
                        &floc,
                        RepairKind::BadFormat,
                        format!("integer format '{f}' read as '{g}'"),
                    );
                    (Some(ty), Some(g.into()))
                }
                None => {
                    if f != "integer" {
                        self.note(&floc, RepairKind::BadFormat, format!("integer format '{f}' dropped"));
                    }
                    (Some(ty), None)
                }
            },
            ("string", Some(f)) => (Some(ty), Some(f.to_owned())),
            (_, Some(f)) => {
                self.note(&floc, RepairKind::BadFormat, format!("format '{f}' of a {ty} dropped"));
                (Some(ty), None)
            }
        }
    }

    pub(super) fn enumeration(&mut self, s: &mut Schema, e: &Value, eloc: &Loc) {
        let Some(items) = e.as_sequence() else {
            self.note(eloc, RepairKind::BadEnum, "enum is not a list: ignored".into());
            return;
        };
        let mut vals: Vec<(Scalar, Option<String>)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let il = eloc.idx(i);
            // The meaning of a value lives in the comment on its line (only when the item has a
            // line of its own: flow lists `[A, B]` share one line).
            let line = il.src.ix.exact(&il.path);
            let comment = line.and_then(|l| il.src.ix.comment(l));
            let item = self.yaml11(item, &il);
            let v = match &item {
                Value::String(x) => Scalar::Str(x.clone()),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => Scalar::Int(i),
                    None => {
                        let t = line
                            .and_then(|l| il.src.ix.plain_scalar(l))
                            .unwrap_or_else(|| n.to_string());
                        self.note(
                            &il,
                            RepairKind::EnumValue,
                            format!("enum value {n} read as the string '{t}'"),
                        );
                        Scalar::Str(t)
                    }
                },
                Value::Bool(b) => {
                    let t = line
                        .and_then(|l| il.src.ix.plain_scalar(l))
                        .unwrap_or_else(|| b.to_string());
                    self.note(
                        &il,
                        RepairKind::EnumValue,
                        format!("boolean enum value read as the string '{t}'"),
                    );
                    Scalar::Str(t)
                }
                _ => {
                    self.note(
                        &il,
                        RepairKind::EnumValue,
                        "ignored an enum value that is not a scalar".into(),
                    );
                    continue;
                }
            };
            vals.push((v, comment));
        }
        let any_str = vals.iter().any(|(v, _)| matches!(v, Scalar::Str(_)));
        let any_int = vals.iter().any(|(v, _)| matches!(v, Scalar::Int(_)));
        match s.ty.as_deref() {
            Some("string") if any_int => {
                self.note(
                    eloc,
                    RepairKind::EnumTypeMismatch,
                    "integer values of a string enum read as strings".into(),
                );
                for (v, _) in &mut vals {
                    if let Scalar::Int(i) = v {
                        *v = Scalar::Str(i.to_string());
                    }
                }
            }
            Some("integer") | Some("number") if any_str => {
                let all_num = vals.iter().all(|(v, _)| match v {
                    Scalar::Int(_) => true,
                    Scalar::Str(x) => x.trim().parse::<i64>().is_ok(),
                    Scalar::Float(_) | Scalar::Bool(_) => false, // the importer writes neither
                });
                if all_num {
                    self.note(
                        eloc,
                        RepairKind::EnumTypeMismatch,
                        "string values of an integer enum read as integers".into(),
                    );
                    for (v, _) in &mut vals {
                        if let Scalar::Str(x) = v {
                            *v = Scalar::Int(x.trim().parse().unwrap());
                        }
                    }
                    s.ty = Some("integer".into());
                    s.format = None;
                } else {
                    self.note(
                        eloc,
                        RepairKind::EnumTypeMismatch,
                        format!(
                            "a {} enum with text values read as a string enum",
                            s.ty.as_deref().unwrap()
                        ),
                    );
                    for (v, _) in &mut vals {
                        if let Scalar::Int(i) = v {
                            *v = Scalar::Str(i.to_string());
                        }
                    }
                    s.ty = Some("string".into());
                    s.format = None;
                }
            }
            Some("number") => {
                self.note(
                    eloc,
                    RepairKind::EnumNumberInteger,
                    "number enum with integer values read as integer".into(),
                );
                s.ty = Some("integer".into());
                s.format = None;
            }
            None if any_str && any_int => {
                for (v, _) in &mut vals {
                    if let Scalar::Int(i) = v {
                        *v = Scalar::Str(i.to_string());
                    }
                }
                self.note(
                    eloc,
                    RepairKind::EnumTypeMismatch,
                    "untyped enum mixing integers and text read as strings".into(),
                );
            }
            Some("boolean") => {
                self.note(
                    eloc,
                    RepairKind::EnumTypeMismatch,
                    "boolean enum read as a string enum".into(),
                );
                s.ty = Some("string".into());
            }
            _ => {}
        }
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for (v, d) in vals {
            if seen.contains(&v) {
                self.note(
                    eloc,
                    RepairKind::EnumDuplicate,
                    format!("duplicate enum value '{v}' dropped"),
                );
                continue;
            }
            seen.push(v.clone());
            out.push(match d {
                Some(d) => EnumValue::Described(DescribedValue {
                    value: v,
                    description: Some(d),
                }),
                None => EnumValue::Bare(v),
            });
        }
        s.enum_ = Some(out);
    }

    /// Scalars that YAML 1.1 (upstream's PyYAML-based tooling) and YAML 1.2 (serde_yaml) read
    /// differently: the text as written is kept, as a string, and the difference is noted.
    pub(super) fn yaml11(&mut self, v: &Value, loc: &Loc) -> Value {
        if !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
            return v.clone();
        }
        let Some(line) = loc.src.ix.exact(&loc.path) else {
            return v.clone();
        };
        let Some(text) = loc.src.ix.plain_scalar(line) else {
            return v.clone();
        };
        const BOOLS: [&str; 16] = [
            "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
        ];
        let digits_us = !text.is_empty()
            && text
                .trim_start_matches(['-', '+'])
                .chars()
                .all(|c| c.is_ascii_digit() || c == '_')
            && text.contains('_')
            && text
                .trim_start_matches(['-', '+'])
                .starts_with(|c: char| c.is_ascii_digit());
        let leading_zero = text.len() > 1 && text.starts_with('0') && text.chars().all(|c| c.is_ascii_digit());
        if BOOLS.contains(&text.as_str()) {
            self.note(
                loc,
                RepairKind::Yaml11Scalar,
                format!("kept unquoted {text} as the string '{text}' (YAML 1.1 would read a boolean)"),
            );
            Value::String(text)
        } else if digits_us {
            self.note(
                loc,
                RepairKind::Yaml11Scalar,
                format!(
                    "kept unquoted {text} as the string '{text}' (YAML 1.1 would read the integer {})",
                    text.replace('_', "")
                ),
            );
            Value::String(text)
        } else if leading_zero {
            self.note(loc, RepairKind::Yaml11Scalar, format!("kept unquoted {text} as the string '{text}' (YAML 1.1 would read an octal integer, YAML 1.2 a decimal one)"));
            Value::String(text)
        } else {
            v.clone()
        }
    }
}

/// Why a `type: number` schema documents fractions, if it does: a fractional example, or a
/// description that speaks of decimals (小数, 保留…位, 精确到).
pub(super) fn fraction_evidence(m: &Mapping, example: Option<&Value>) -> Option<String> {
    if let Some(Value::Number(n)) = example {
        if !(n.is_i64() || n.is_u64()) {
            return Some(format!("fractional example {n}"));
        }
    }
    let description = lookup(m, "description").and_then(scalar_text).unwrap_or_default();
    ["小数", "保留", "精确到", "decimal"]
        .iter()
        .find(|w| description.contains(**w))
        .map(|w| format!("the description says '{w}' ({})", description.trim()))
}

/// The rule for `type: number` (the description uses it mostly for amounts in 分, counts and
/// ids): an integer unless it documents fractions ([`fraction_evidence`], checked first). The
/// evidence named in the repair line, first found: an integer example; the description (分,
/// 整数, 数量, 个数, 笔数, 条数, 次数, 页码, 位置, 大小, ID); the field name (amount, total, fee,
/// price, count, num, quantity, offset, limit, …); otherwise "no fraction documented".
pub(super) fn integer_evidence(m: &Mapping, loc: &Loc, example: Option<&Value>) -> String {
    if let Some(Value::Number(n)) = example {
        return format!("integer example {n}");
    }
    let description = lookup(m, "description").and_then(scalar_text).unwrap_or_default();
    const WORDS: [&str; 12] = [
        "分", "整数", "数量", "个数", "笔数", "条数", "次数", "页码", "位置", "大小", "数", "ID",
    ];
    if let Some(w) = WORDS.iter().find(|w| description.contains(**w)) {
        return format!("the description says '{w}'");
    }
    let name = loc.path.iter().rev().find_map(|s| match s {
        Seg::Key(k) if !["items", "properties", "schema"].contains(&k.as_str()) => Some(k.to_ascii_lowercase()),
        _ => None,
    });
    const NAMES: [&str; 14] = [
        "amount", "amt", "total", "fee", "price", "count", "num", "quantity", "offset", "limit", "size", "id", "no",
        "index",
    ];
    match name.filter(|n| n.split('_').any(|part| NAMES.contains(&part))) {
        Some(n) => format!("an amount or count by its name '{n}'"),
        None => "no fraction documented".into(),
    }
}
