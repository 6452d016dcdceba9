//! The runtime's modules form no cycle (issue 10): every path a module writes to another
//! (`use super::x::…`, `super::x::f(…)`, `crate::x`) names a module below it, so the files can
//! be read bottom-up (errors and keys, the transport settings, the client, then each stage of a
//! call). A cycle found is printed with the modules on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The modules of `src/` and the modules each one names (its tests and comments left out).
fn module_graph(src: &Path) -> Graph {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(src).expect("runtime/src") {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.extension().is_some_and(|e| e == "rs") && name != "lib" && name != "tests" {
            files.insert(name, std::fs::read_to_string(&path).unwrap());
        } else if path.is_dir() && path.join("mod.rs").is_file() {
            // A module that is a folder (`v2/`): its files together, but its tests.
            let mut text = String::new();
            for file in std::fs::read_dir(&path).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|e| e == "rs") && file.file_stem().is_some_and(|s| s != "tests") {
                    // Each file's own tests left out (as `references` does for a file).
                    let code = std::fs::read_to_string(&file).unwrap();
                    text.push_str(code.split("#[cfg(test)]\nmod tests").next().unwrap_or_default());
                    text.push('\n');
                }
            }
            files.insert(name, text);
        }
    }
    let names: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(module, text)| (module.clone(), references(text, &names, module)))
        .collect()
}

/// The modules among `names` that `text` names through `super::` or `crate::` paths.
fn references(text: &str, names: &BTreeSet<String>, this: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        for prefix in ["super::", "crate::"] {
            for (at, _) in line.match_indices(prefix) {
                let rest = &line[at + prefix.len()..];
                // `super::{a, b::C}` names `a` and `b`; `super::a::…` names `a`.
                let group = rest.strip_prefix('{').map(|g| g.split('}').next().unwrap_or_default());
                let candidates: Vec<&str> = match group {
                    Some(g) => g
                        .split(',')
                        .map(|p| p.trim().split("::").next().unwrap_or_default())
                        .collect(),
                    None => vec![rest
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or_default()],
                };
                for c in candidates {
                    if names.contains(c) && c != this {
                        out.insert(c.to_owned());
                    }
                }
            }
        }
    }
    out
}

/// A cycle of the graph, if it has one, as the modules on it in order.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        state: &mut BTreeMap<String, State>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(State::Done) => return None,
            Some(State::Open) => {
                let from = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(node.to_owned(), State::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.to_owned(), State::Done);
        None
    }
    let mut state = BTreeMap::new();
    graph.keys().find_map(|n| visit(n, graph, &mut state, &mut Vec::new()))
}

#[test]
fn the_runtime_modules_form_no_cycle() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 15, "the modules of runtime/src were not found: {graph:?}");
    // The graph is the real one: the client is named by most stages, and names none of them.
    assert!(
        graph["send"].contains("client") && graph["call"].contains("send"),
        "{graph:#?}"
    );
    assert!(!graph["client"].contains("send"), "{graph:#?}");
    // A folder module is read too: APIv2 builds on the client and the keys.
    assert!(
        graph["v2"].contains("crypto") && graph["v2"].contains("client"),
        "{graph:#?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!("the runtime modules form a cycle: {}\n{graph:#?}", cycle.join(" -> "));
    }
}

#[test]
fn the_checker_finds_paths_and_cycles() {
    let names: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
    let text = "use super::{b, c::X};\n// super::a in a comment\nfn f() { crate::b::g() }\n#[cfg(test)]\nmod tests { use super::a; }";
    assert_eq!(references(text, &names, "a"), ["b", "c"].map(String::from).into());
    let mut graph: Graph = [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec![])]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_iter().map(String::from).collect()))
        .collect();
    assert_eq!(find_cycle(&graph), None);
    graph.get_mut("c").unwrap().insert("a".into());
    assert_eq!(
        find_cycle(&graph),
        Some(["a", "b", "c", "a"].map(String::from).to_vec())
    );
}
