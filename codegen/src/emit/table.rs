//! `operations.rs`, the table of every operation's types (tests over the whole API).

use super::types::TypeNames;
use crate::ir::{Api, Node, ResponseKind, Ty};
use crate::HEADER;

/// `operations.rs`: an exported macro that calls `$m!(request "post" "/v3/…" Type);` for every
/// operation with a request struct and `$m!(response "post" "/v3/…" Type);` for every JSON
/// response, with absolute (`$crate::…`) type paths. Only with `full`: a table over the whole API
/// (the fidelity test decodes and re-encodes every operation's examples through it). Nothing of
/// it is compiled into the crate; the caller's macro instantiates what it needs.
pub(super) fn operations_table(api: &Api) -> String {
    fn abs(ty: &Ty, module: &str) -> String {
        TypeNames {
            prelude: false,
            local: &format!("{module}::"),
            shared: "$crate::types::",
            runtime: "$crate::runtime",
        }
        .write(ty)
    }
    fn walk(n: &Node, module: &str, rows: &mut Vec<String>) {
        for op in n.ops.iter().filter(|op| op.v2.is_none()) {
            let m = op.method.as_str();
            let url = &n.url;
            if let Some(r) = &op.request {
                rows.push(format!("$m!(request \"{m}\" \"{url}\" {module}::{r});"));
            }
            if let ResponseKind::Json(t) = &op.response {
                rows.push(format!("$m!(response \"{m}\" \"{url}\" {});", abs(t, module)));
            }
        }
        for c in &n.children {
            walk(c, &format!("{module}::{}", c.module), rows);
        }
    }
    fn walk_v2(n: &Node, module: &str, rows: &mut Vec<String>) {
        for op in n.ops.iter().filter(|op| op.v2.is_some()) {
            if let Some(r) = &op.request {
                rows.push(format!("$m!(request \"{}\" {module}::{r});", n.url));
            }
            if let ResponseKind::Json(t) = &op.response {
                rows.push(format!("$m!(response \"{}\" {});", n.url, abs(t, module)));
            }
        }
        for c in &n.children {
            walk_v2(c, &format!("{module}::{}", c.module), rows);
        }
    }
    let mut rows = Vec::new();
    walk(&api.root, "$crate", &mut rows);
    let mut v2_rows = Vec::new();
    walk_v2(&api.root, "$crate", &mut v2_rows);
    let mut out = format!(
        "{HEADER}\n\n\
         /// Calls `$m!(request \"post\" \"/v3/…\" Type);` for every operation's request struct and\n\
         /// `$m!(response \"post\" \"/v3/…\" Type);` for every JSON response, in tree order.\n\
         #[cfg(feature = \"full\")]\n\
         #[doc(hidden)]\n\
         #[macro_export]\n\
         macro_rules! __for_each_operation {{\n    ($m:ident) => {{\n"
    );
    for r in rows {
        out.push_str("        ");
        out.push_str(&r);
        out.push('\n');
    }
    out.push_str("    };\n}\n");
    if !v2_rows.is_empty() {
        out.push_str(
            "\n/// Calls `$m!(request \"/v2/…\" Type);` and `$m!(response \"/v2/…\" Type);` for every APIv2\n\
             /// operation's request and answer structs (feature `v2`).\n\
             #[cfg(feature = \"v2\")]\n\
             #[doc(hidden)]\n\
             #[macro_export]\n\
             macro_rules! __for_each_v2_operation {\n    ($m:ident) => {\n",
        );
        for r in v2_rows {
            out.push_str("        ");
            out.push_str(&r);
            out.push('\n');
        }
        out.push_str("    };\n}\n");
    }
    out
}
