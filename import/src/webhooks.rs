//! The notification facts (`../shared/reference/webhooks/v3/*.yaml`, one file per event type:
//! its decrypted resource's fields) read by our own code and written as
//! `spec/notifications/<name>.yaml`: every documented event type typed.
//!
//! The rules, one decision line each where a fact is changed:
//! - event types a hand-written notification file already types are left to it;
//! - event types whose resources have the same shape (field names, types, nesting) share one
//!   file, named after what their event types have in common (`VIOLATION.*` → `violation`);
//! - a field is optional (the response rule: a notification that lacks one still decodes), a
//!   field the facts list twice (a case each, `when`) is one object with the union of the
//!   cases' fields, the alternative resources of one event type are one shape with the union of
//!   their fields;
//! - `number`: an integer when the facts say so, or when it is an amount, a count, a duration or
//!   an id (money is an integer); a time or a name written as `number` is any JSON value (the
//!   facts contradict themselves: whatever the platform sends decodes); a rate stays a number;
//! - a string holding JSON (`encoding: json`) is typed by its content (`json:`); a field
//!   encrypted to the merchant (`field_encryption`) is marked `sensitive`;
//! - a field's enum with the same values as a shared enum of the operations named for the same
//!   field (`plate_color` → `VehiclePlateColor`) is that type (`webhook-enum-shared`);
//! - the API group (the cargo feature that gates the type) is the one of the event type's
//!   product, from the table [`GROUPS`]: an event type it does not name is an error, so that a new
//!   product is placed by a person.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use wechatpay_model::spec::{EnumValue, NotificationFile, Scalar, Schema};

use crate::ImportError;

/// The first line of a notification file this step writes (and may overwrite).
pub const WEBHOOKS_HEADER: &str =
    "# imported from the webhooks facts by cargo xtask import --webhooks; remove this line to keep hand edits";

/// Event type (or its product, the part before the first dot) → API group. The full event type
/// is looked up first.
pub const GROUPS: &[(&str, &str)] = &[
    ("ABNORMAL_FUND_PROCESSING", "abnormal-fund-processing"),
    ("APPLYMENT_STATE", "global"),
    ("BLOCKRECORD", "transaction-block"),
    ("BLOCKSUBMISSION", "transaction-block"),
    ("BRAND_MEMBER_CARD_SP", "brand"),
    ("BUDGET", "fund-app"),
    ("COUPON", "marketing"),
    ("CREDIT_REPAYMENT", "credit-repayment"),
    ("CROSS_BORDER_PAY", "global"),
    ("DELIVERY_PLAN", "marketing"),
    ("DISCOUNT_CARD", "discount-card"),
    ("ECOMMERCE_ENTRUST", "ecommerce"),
    ("EDU_SCHOOL_PAY", "eduschoolpay"),
    ("ENTRUST.RELEASE", "edu-papay"),
    ("ENTRUST.SIGNING", "edu-papay"),
    ("ENTRUST", "papay"),
    ("FACEPAY", "offlineface"),
    ("FAPIAO", "new-tax-control-fapiao"),
    ("HIRE_POWER_BANK", "hire-power-bank"),
    ("INSURANCE_ENTRUST", "papay"),
    ("INSURANCE_POLICY_MANAGEMENT", "inspolicymgr"),
    ("MALL_AUTH", "businesscircle"),
    ("MALL_REFUND", "businesscircle"),
    ("MALL_TRANSACTION", "businesscircle"),
    ("MANAGERECORD", "mch-manage"),
    ("MCHTRANSFER.BATCH.CLOSED", "transfer"),
    ("MCHTRANSFER.BATCH.FINISHED", "transfer"),
    ("MCHTRANSFER", "fund-app"),
    ("MCHWITHDRAW", "ecommerce"),
    ("MEDICAL_INSURANCE", "med-ins"),
    ("MEMBERCARD", "marketing"),
    ("MERCHANT_NOTIFY", "merchant"),
    ("PAPAY", "papay"),
    ("PARKING_FEE", "parking"),
    ("PAYSCORE", "payscore"),
    ("PRODUCT_COUPON_SP", "marketing"),
    ("PROFITSHARING", "profitsharing"),
    ("RECHARGE", "recharge"),
    ("REFUND", "refund"),
    ("RISKTRADE", "merchant-risk-manage"),
    ("SECURITY_ECHO", "security"),
    ("SETTLEMENT", "platsolution"),
    ("TRANSACTION.INDUSTRY_SUCCESS", "eduschoolpay"),
    ("TRANSACTION.INDUSTRY_FAILED", "eduschoolpay"),
    ("TRANSACTION", "vehicle"),
    ("COMPLAINT", "merchant-service"),
    ("VEHICLE", "vehicle"),
    ("VIOLATION", "merchant-risk-manage"),
    ("WEBIZPAY", "webizpay"),
];

/// Names that read better than the event type's own (event type → file stem, so type name).
pub const NAMES: &[(&str, &str)] = &[("MCHTRANSFER.BILL.FINISHED", "transfer_bill")];

/// One event type's facts (`v3/<EVENT>.yaml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Facts {
    event_type: String,
    title: String,
    #[allow(dead_code)]
    original_type: serde_yaml::Value,
    #[allow(dead_code)]
    encrypted: bool,
    #[serde(default)]
    moved_from: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    variants: Option<Vec<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    envelope_event_types: Option<Vec<String>>,
    #[serde(default)]
    resource: Option<Vec<Fact>>,
    #[serde(default)]
    resource_variants: Option<Vec<Alternative>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Alternative {
    #[allow(dead_code)]
    label: String,
    fields: Vec<Fact>,
}

/// One field of a resource.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fact {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    items: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    required: bool,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    when: Option<String>,
    #[serde(default, rename = "enum")]
    enum_: Option<Vec<serde_yaml::Value>>,
    #[serde(default)]
    integer: bool,
    #[serde(default)]
    field_encryption: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    fields: Option<Vec<Fact>>,
}

/// What the step did.
#[derive(Debug, Default)]
pub struct WebhooksOutcome {
    /// Event types read.
    pub events: usize,
    /// Event types left to hand-written files.
    pub hand_written: Vec<String>,
    /// Files written (relative to the spec folder).
    pub written: Vec<PathBuf>,
    /// Imported files of an earlier run removed.
    pub removed: Vec<PathBuf>,
    /// One line per changed fact: `EVENT field: what (kind)`.
    pub decisions: Vec<(&'static str, String)>,
}

/// Reads the facts of `dir` (`…/webhooks`) and writes the notification files under `to`.
pub fn import(dir: &Path, to: &Path) -> Result<WebhooksOutcome, ImportError> {
    let mut out = WebhooksOutcome::default();
    let facts = read_facts(&dir.join("v3"))?;
    out.events = facts.len();
    let notifications = to.join("notifications");
    let hand = hand_written(&notifications)?;
    let enums = shared_enums(&to.join("types"))?;
    // Shapes, in event type order: shape key → (event types, their aliases, properties).
    let mut shapes: BTreeMap<String, Shape> = BTreeMap::new();
    for f in &facts {
        if let Some(file) = hand.get(&f.event_type) {
            out.hand_written.push(format!("{} ({file})", f.event_type));
            continue;
        }
        let fields = resource_fields(f, &mut out);
        let mut properties = properties(&f.event_type, "", &fields, &mut out);
        share_enums(&f.event_type, "", &mut properties, &enums, &mut out);
        let key = shape_key(&properties);
        let shape = shapes.entry(key).or_insert_with(|| Shape {
            events: Vec::new(),
            aliases: Vec::new(),
            titles: Vec::new(),
            properties,
        });
        shape.events.push(f.event_type.clone());
        shape.aliases.extend(f.moved_from.iter().cloned());
        shape.titles.push(f.title.clone());
    }
    let mut shapes: Vec<Shape> = shapes.into_values().collect();
    shapes.sort_by(|a, b| a.events.cmp(&b.events));
    let taken: BTreeSet<String> = hand.values().cloned().collect();
    let mut written = BTreeSet::new();
    for shape in shapes {
        let stem = file_stem(&shape.events, &taken, &written);
        let group = group_of(&shape.events[0]).ok_or_else(|| {
            ImportError::Webhooks(format!(
                "{}: no API group for this event type: add it to import/src/webhooks.rs GROUPS",
                shape.events[0]
            ))
        })?;
        let rel = PathBuf::from("notifications").join(format!("{stem}.yaml"));
        let text = render(&shape, group, &rel)?;
        write(&to.join(&rel), &text)?;
        written.insert(stem);
        out.written.push(rel);
    }
    out.removed = remove_stale(&notifications, &written)?;
    Ok(out)
}

struct Shape {
    events: Vec<String>,
    aliases: Vec<String>,
    titles: Vec<String>,
    properties: IndexMap<String, Schema>,
}

fn read_facts(dir: &Path) -> Result<Vec<Facts>, ImportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Io { path, source }
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    let mut facts = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let f: Facts =
            serde_yaml::from_str(&text).map_err(|e| ImportError::Webhooks(format!("{}: {e}", path.display())))?;
        facts.push(f);
    }
    Ok(facts)
}

/// Event type → the hand-written notification file (no import header) that types it.
fn hand_written(dir: &Path) -> Result<BTreeMap<String, String>, ImportError> {
    let mut out = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return Ok(out) };
    let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if path.extension().is_none_or(|e| e != "yaml") || text.lines().next() == Some(WEBHOOKS_HEADER) {
            continue;
        }
        let file: NotificationFile =
            serde_yaml::from_str(&text).map_err(|e| ImportError::Webhooks(format!("{}: {e}", path.display())))?;
        let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        for event in file.events {
            out.insert(event, stem.clone());
        }
    }
    Ok(out)
}

/// The fields of an event type's resource: the alternatives' union where it has several.
fn resource_fields(f: &Facts, out: &mut WebhooksOutcome) -> Vec<Fact> {
    match (&f.resource, &f.resource_variants) {
        (Some(fields), _) => fields.clone(),
        (None, Some(alternatives)) => {
            out.decisions.push((
                "webhook-alternatives-union",
                format!(
                    "{}: {} alternative resources are one shape, the union of their fields",
                    f.event_type,
                    alternatives.len()
                ),
            ));
            alternatives.iter().flat_map(|a| a.fields.iter().cloned()).collect()
        }
        (None, None) => Vec::new(),
    }
}

/// The schema properties of `fields` (all optional), a field listed twice merged into one.
fn properties(event: &str, path: &str, fields: &[Fact], out: &mut WebhooksOutcome) -> IndexMap<String, Schema> {
    let mut merged: IndexMap<String, Fact> = IndexMap::new();
    for f in fields {
        match merged.get_mut(&f.name) {
            None => {
                merged.insert(f.name.clone(), f.clone());
            }
            Some(first) => {
                out.decisions.push((
                    "webhook-union",
                    format!(
                        "{event} {path}{}: listed for several cases; one field, the union of their fields",
                        f.name
                    ),
                ));
                let more = f.fields.clone().unwrap_or_default();
                first.fields.get_or_insert_with(Vec::new).extend(more);
            }
        }
    }
    merged
        .values()
        .map(|f| (f.name.clone(), schema(event, &format!("{path}{}.", f.name), f, out)))
        .collect()
}

fn schema(event: &str, path: &str, f: &Fact, out: &mut WebhooksOutcome) -> Schema {
    let mut s = Schema {
        description: f.label.clone().filter(|l| !l.trim().is_empty()),
        sensitive: f.field_encryption.is_some(),
        ..Schema::default()
    };
    let field = path.trim_end_matches('.');
    match f.ty.as_str() {
        "object" => {
            s.properties = Some(properties(event, path, f.fields.as_deref().unwrap_or_default(), out));
        }
        "array" => {
            let item = match f.items.as_deref() {
                Some("object") => Schema {
                    properties: Some(properties(event, path, f.fields.as_deref().unwrap_or_default(), out)),
                    ..Schema::default()
                },
                Some(scalar) => Schema {
                    ty: Some(scalar_type(event, field, scalar, f, out)),
                    ..Schema::default()
                },
                None => Schema {
                    ty: Some("string".into()),
                    ..Schema::default()
                },
            };
            s.ty = Some("array".into());
            s.items = Some(Box::new(item));
        }
        scalar => {
            s.ty = Some(scalar_type(event, field, scalar, f, out));
            if f.encoding.as_deref() == Some("json") {
                s.json = Some(Box::new(Schema {
                    properties: Some(properties(event, path, f.fields.as_deref().unwrap_or_default(), out)),
                    ..Schema::default()
                }));
            } else if let (Some(values), Some("string")) = (&f.enum_, s.ty.as_deref()) {
                s.enum_ = Some(
                    values
                        .iter()
                        .map(|v| EnumValue::Bare(Scalar::Str(yaml_text(v))))
                        .collect(),
                );
            }
        }
    }
    s
}

/// The shared enums of `spec/types/` (name → values).
fn shared_enums(dir: &Path) -> Result<Vec<(String, BTreeSet<String>)>, ImportError> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return Ok(out) };
    let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "yaml")) {
        let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
            path: path.clone(),
            source,
        })?;
        let types: wechatpay_model::spec::TypesFile =
            serde_yaml::from_str(&text).map_err(|e| ImportError::Webhooks(format!("{}: {e}", path.display())))?;
        for (name, schema) in &types {
            if let Some(values) = &schema.enum_ {
                out.push((name.clone(), values.iter().map(|v| v.value().to_string()).collect()));
            }
        }
    }
    Ok(out)
}

/// A field's enum becomes the shared enum of the operations (`ref:`) when that enum has the same
/// values and is named for the same field (`plate_color` → `VehiclePlateColor`): one type for
/// one concept, the operations' and the notification's.
fn share_enums(
    event: &str,
    path: &str,
    properties: &mut IndexMap<String, Schema>,
    enums: &[(String, BTreeSet<String>)],
    out: &mut WebhooksOutcome,
) {
    for (name, s) in properties.iter_mut() {
        let here = format!("{path}{name}");
        if let Some(values) = &s.enum_ {
            let values: BTreeSet<String> = values.iter().map(|v| v.value().to_string()).collect();
            let field: String = name
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            if let Some((shared, _)) = enums.iter().find(|(n, v)| *v == values && n.ends_with(&field)) {
                out.decisions.push((
                    "webhook-enum-shared",
                    format!("{event} {here}: the same values as the operations' {shared}: that type"),
                ));
                *s = Schema {
                    ref_: Some(shared.clone()),
                    description: s.description.take(),
                    ..Schema::default()
                };
                continue;
            }
        }
        if let Some(nested) = s.properties.as_mut() {
            share_enums(event, &format!("{here}."), nested, enums, out);
        }
        if let Some(nested) = s.items.as_mut().and_then(|i| i.properties.as_mut()) {
            share_enums(event, &format!("{here}."), nested, enums, out);
        }
    }
}

fn yaml_text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other).unwrap_or_default().trim().to_owned(),
    }
}

/// The spec type of a scalar fact (see the module docs for `number`).
fn scalar_type(event: &str, field: &str, ty: &str, f: &Fact, out: &mut WebhooksOutcome) -> String {
    match ty {
        "number" if f.integer => "integer".into(),
        "number" => {
            let name = f.name.to_ascii_lowercase();
            let label = f.label.as_deref().unwrap_or("");
            let duration = name.contains("duration") || label.contains("时长") || label.contains("时间长");
            let text = (name.ends_with("_time") || label.contains("时间")) && !duration || name.ends_with("_name");
            if text {
                // The facts say number, the meaning says text (a time, a name): whichever the
                // platform sends decodes, as the JSON value it is.
                out.decisions.push((
                    "webhook-ambiguous-json",
                    format!("{event} {field}: a time or a name written as number: typed as any JSON value"),
                ));
                "json".into()
            } else if label.contains("汇率") || label.contains("费率") || name.ends_with("_rate") {
                "number".into()
            } else {
                out.decisions.push((
                    "webhook-number-integer",
                    format!("{event} {field}: an amount, count or id written as number: an integer"),
                ));
                "integer".into()
            }
        }
        "integer" | "string" | "boolean" => ty.into(),
        other => {
            out.decisions.push((
                "webhook-type-unknown",
                format!("{event} {field}: type {other:?} is not a scalar type: a string"),
            ));
            "string".into()
        }
    }
}

/// What makes two resources the same shape: names, types and nesting, not the descriptions.
fn shape_key(properties: &IndexMap<String, Schema>) -> String {
    fn strip(s: &Schema) -> Schema {
        Schema {
            description: None,
            properties: s
                .properties
                .as_ref()
                .map(|p| p.iter().map(|(k, v)| (k.clone(), strip(v))).collect()),
            items: s.items.as_ref().map(|i| Box::new(strip(i))),
            json: s.json.as_ref().map(|j| Box::new(strip(j))),
            ..s.clone()
        }
    }
    let stripped: IndexMap<String, Schema> = properties.iter().map(|(k, v)| (k.clone(), strip(v))).collect();
    serde_yaml::to_string(&stripped).unwrap_or_default()
}

/// The file name of a shape: what its event types have in common, whole segments then the
/// words of the next one at its start and end (`VIOLATION.APPEAL`, `VIOLATION.PUNISH` →
/// `violation`; `CREDIT_REPAYMENT.SIGN_CONTRACT`, `….TERMINATE_CONTRACT` →
/// `credit_repayment_contract`), the whole first event type when that name is taken.
fn file_stem(events: &[String], hand: &BTreeSet<String>, written: &BTreeSet<String>) -> String {
    let segments: Vec<Vec<&str>> = events.iter().map(|e| e.split('.').collect()).collect();
    let mut common: Vec<String> = Vec::new();
    let mut at = 0;
    while segments
        .iter()
        .all(|s| s.get(at).is_some() && s.get(at) == segments[0].get(at))
    {
        common.push(segments[0][at].to_owned());
        at += 1;
    }
    if events.len() > 1 {
        let words: Vec<Vec<&str>> = segments
            .iter()
            .filter_map(|s| s.get(at))
            .map(|s| s.split('_').collect())
            .collect();
        if words.len() == events.len() {
            let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
            let first = &words[0];
            let head = (0..shortest)
                .take_while(|&i| words.iter().all(|w| w[i] == first[i]))
                .count();
            let tail = (0..shortest - head)
                .take_while(|&i| words.iter().all(|w| w[w.len() - 1 - i] == first[first.len() - 1 - i]))
                .count();
            common.extend(words[0][..head].iter().map(|w| w.to_string()));
            common.extend(words[0][words[0].len() - tail..].iter().map(|w| w.to_string()));
        }
    }
    if let Some((_, name)) = NAMES.iter().find(|(e, _)| events.len() == 1 && *e == events[0]) {
        return (*name).to_owned();
    }
    let whole = events[0].replace('.', "_").to_ascii_lowercase();
    let name = if events.len() > 1 && !common.is_empty() {
        common.join("_").to_ascii_lowercase()
    } else {
        whole.clone()
    };
    if hand.contains(&name) || written.contains(&name) {
        whole
    } else {
        name
    }
}

fn group_of(event: &str) -> Option<&'static str> {
    let product = event.split('.').next().unwrap_or(event);
    GROUPS
        .iter()
        .find(|(k, _)| *k == event)
        .or_else(|| GROUPS.iter().find(|(k, _)| *k == product))
        .map(|(_, g)| *g)
}

fn render(shape: &Shape, group: &str, rel: &Path) -> Result<String, ImportError> {
    let mut events = shape.events.clone();
    events.extend(shape.aliases.iter().cloned());
    let mut titles: Vec<&str> = Vec::new();
    for t in &shape.titles {
        if !titles.contains(&t.as_str()) {
            titles.push(t);
        }
    }
    let file = NotificationFile {
        summary: titles.join("；"),
        description: (!shape.aliases.is_empty()).then(|| {
            format!(
                "Also delivered under the former event types {}.",
                shape.aliases.join(", ")
            )
        }),
        group: group.into(),
        events,
        match_keys: Vec::new(),
        same_as: None,
        resource: Some(Schema {
            properties: Some(shape.properties.clone()),
            ..Schema::default()
        }),
    };
    let yaml = serde_yaml::to_string(&file).map_err(|e| ImportError::Serialize {
        file: rel.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(format!("{WEBHOOKS_HEADER}\n{yaml}"))
}

fn write(target: &Path, text: &str) -> Result<(), ImportError> {
    match crate::write_file(target, text, WEBHOOKS_HEADER, false)? {
        crate::WriteResult::Written => Ok(()),
        crate::WriteResult::Refused => Err(ImportError::Webhooks(format!(
            "{} is hand-written and would be overwritten by an imported notification of the same name",
            target.display()
        ))),
    }
}

/// Imported notification files this run did not write: removed (hand-written ones are kept).
fn remove_stale(dir: &Path, written: &BTreeSet<String>) -> Result<Vec<PathBuf>, ImportError> {
    let stem = |p: &Path| p.file_stem().unwrap_or_default().to_string_lossy().into_owned();
    let removed = crate::remove_stale(dir, WEBHOOKS_HEADER, &|p| written.contains(&stem(p)))?;
    Ok(removed
        .iter()
        .map(|p| PathBuf::from("notifications").join(p.file_name().unwrap_or_default()))
        .collect())
}
