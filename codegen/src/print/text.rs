//! Regular items written as text, laid out as prettyplease lays them out.
//!
//! The type definitions are two thirds of the generated code. Building their tokens, parsing
//! them with syn and printing them with prettyplease was most of the time of generation, for a
//! layout that is always the same: one attribute, field or variant per line. Here they are
//! written as the lines prettyplease would print, and go through the printer as one verbatim
//! block.
//!
//! prettyplease's layout depends on the line width in a few places: a field whose type does not
//! fit on its line, a long `cfg`, a struct pattern or literal near the margin. A line is written
//! here only where its layout is known for sure; an [`Item`] with any other line is handed to
//! prettyplease as tokens (parsed from its text), so the output is the same either way. The
//! widths below were found by comparing both printers over the whole API (see the tests).

use proc_macro2::TokenStream;

use super::{doc_lines, Blocks};

/// prettyplease's line width: the widest line (indentation included) it prints as written.
const MARGIN: usize = 89;
/// prettyplease's widest struct literal on one line, from `Self {` to the space before `}`.
const LITERAL_MAX: usize = 34;
/// How far past [`MARGIN`] a struct pattern's one-line form may reach and still be printed on one
/// line by prettyplease: there its choice depends on more than the width (the same width gives
/// either form in the API), so such an item is left to it; wider ones it always breaks.
const PATTERN_BAND: usize = 16;

/// One item (a struct, an impl, a macro call) as text, indented relative to its module.
pub struct Item {
    text: String,
    /// The module's depth in its file, in levels of four spaces.
    depth: usize,
    /// The item's own nesting.
    indent: usize,
    /// Whether every line is surely printed by prettyplease as written here.
    sure: bool,
}

impl Item {
    /// `///` lines of `text`, as [`docs`](super::docs) prints them.
    pub fn doc(&mut self, text: &str) {
        for l in doc_lines(text) {
            self.push_indent();
            self.text.push_str("///");
            self.text.push_str(l.trim_end_matches(' '));
            self.text.push('\n');
        }
    }

    /// A line of code. One that may be too wide for prettyplease to leave as it is makes the
    /// item printed by prettyplease.
    pub fn line(&mut self, code: &str) {
        if self.width(code) > MARGIN {
            self.sure = false;
        }
        self.write(code);
    }

    /// The `cfg` attribute of an item that any of `predicates` enables (none: no attribute), as
    /// prettyplease breaks it: on one line where it fits, else its predicate (`any(…)`) on a
    /// line of its own, else each of `any`'s predicates on a line of its own.
    pub fn cfg(&mut self, predicates: &[String]) {
        let Some(one) = cfg(predicates) else {
            return;
        };
        if self.width(&one) <= MARGIN {
            self.raw_line(&one);
            return;
        }
        self.raw_line("#[cfg(");
        self.indent += 1;
        let predicate = &one["#[cfg(".len()..one.len() - ")]".len()];
        if predicates.len() < 2 || self.width(predicate) <= MARGIN {
            self.raw_line(predicate);
        } else {
            self.raw_line("any(");
            self.indent += 1;
            for (i, p) in predicates.iter().enumerate() {
                let comma = if i + 1 < predicates.len() { "," } else { "" };
                self.raw_line(&format!("{p}{comma}"));
            }
            self.indent -= 1;
            self.raw_line(")");
        }
        self.indent -= 1;
        self.raw_line(")]");
    }

    /// A struct field, `head` (`pub name: `) and its type. A type too wide for the line is
    /// broken as prettyplease breaks it, at its outermost generic arguments (`Option<` / the
    /// argument / `>,`); a path without any stays on one line, as prettyplease leaves it.
    pub fn field(&mut self, head: &str, ty: &str) {
        let one = format!("{head}{ty},");
        let generic = ty.split_once('<').filter(|(_, rest)| rest.ends_with('>'));
        match generic {
            Some((outer, rest)) if self.width(&one) > MARGIN => {
                self.raw_line(&format!("{head}{outer}<"));
                self.indent += 1;
                self.line(&format!("{},", &rest[..rest.len() - 1]));
                self.indent -= 1;
                self.raw_line(">,");
            }
            _ => self.raw_line(&one),
        }
    }

    /// A macro call of one argument as a statement (`path!(arg);`), on one line where it fits,
    /// else with the argument on a line of its own.
    pub fn call(&mut self, mac: &str, arg: &str) {
        let one = format!("{mac}!({arg});");
        if self.width(&one) <= MARGIN {
            self.raw_line(&one);
            return;
        }
        self.raw_line(&format!("{mac}!("));
        self.indent += 1;
        self.line(arg);
        self.indent -= 1;
        self.raw_line(");");
    }

    /// A line that prettyplease never breaks, whatever its width: a path (`pub type A = …;`),
    /// or a line of a `json_object!` call (whose body prettyplease would fill like a paragraph;
    /// it is written one row per line whatever the width).
    pub fn raw_line(&mut self, code: &str) {
        self.write(code);
    }

    /// A line that opens a block: the lines after it are indented one level more.
    pub fn open(&mut self, code: &str) {
        self.line(code);
        self.indent += 1;
    }

    /// A line that closes the block [`open`](Self::open) opened.
    pub fn close(&mut self, code: &str) {
        self.indent -= 1;
        self.line(code);
    }

    /// A struct pattern (`let X {`, fields, `} = x;`): on one line where it fits, or each field
    /// on a line of its own.
    pub fn pattern(&mut self, head: &str, fields: &[String], tail: &str) {
        self.fill(head, fields, tail, None);
    }

    /// A struct literal (`Self {`, fields, `}`): on one line where it fits and is short, or
    /// each field on a line of its own.
    pub fn literal(&mut self, head: &str, fields: &[String], tail: &str) {
        self.fill(head, fields, tail, Some(LITERAL_MAX));
    }

    /// `head part, part tail` on one line, or each part on a line of its own (with a trailing
    /// comma) between `head` and `tail`; `max` is the widest one-line form prettyplease allows.
    fn fill(&mut self, head: &str, parts: &[String], tail: &str, max: Option<usize>) {
        let one = format!("{head} {} {tail}", parts.join(", "));
        let content = one.len() - tail.len(); // `Self { a, b ` as prettyplease measures it
        let width = self.width(&one);
        let broken = max.is_some_and(|m| content > m) || width > MARGIN + PATTERN_BAND;
        if !broken {
            self.line(&one);
            return;
        }
        self.open(head);
        for p in parts {
            self.line(&format!("{p},"));
        }
        self.close(tail);
    }

    fn width(&self, code: &str) -> usize {
        (self.depth + self.indent) * 4 + code.chars().count()
    }

    fn push_indent(&mut self) {
        for _ in 0..self.indent {
            self.text.push_str("    ");
        }
    }

    fn write(&mut self, code: &str) {
        self.push_indent();
        self.text.push_str(code);
        self.text.push('\n');
    }
}

/// The one-line `cfg` attribute of an item that any of `predicates` (`feature = "pay"`)
/// enables; none for no predicate.
fn cfg(predicates: &[String]) -> Option<String> {
    match predicates {
        [] => None,
        [one] => Some(format!("#[cfg({one})]")),
        _ => Some(format!("#[cfg(any({}))]", predicates.join(", "))),
    }
}

/// The items of one module, in order: the text of those surely laid out as written, as
/// verbatim blocks; the others as tokens for prettyplease.
pub struct Items<'a> {
    blocks: &'a Blocks,
    depth: usize,
    /// Text of sure items not yet put in `tokens`, indented relative to the module.
    text: String,
    tokens: TokenStream,
}

impl<'a> Items<'a> {
    /// Items of a module `depth` levels deep in its file (0: the file's top level), their text
    /// kept in `blocks`.
    pub fn new(blocks: &'a Blocks, depth: usize) -> Items<'a> {
        Items {
            blocks,
            depth,
            text: String::new(),
            tokens: TokenStream::new(),
        }
    }

    /// An empty item to write, at this module's depth.
    pub fn item(&self) -> Item {
        Item {
            text: String::new(),
            depth: self.depth,
            indent: 0,
            sure: true,
        }
    }

    /// Adds a written item after the others.
    pub fn push(&mut self, item: Item) {
        if item.sure {
            self.text.push_str(&item.text);
            return;
        }
        self.flush();
        // The text is code this module wrote; it always lexes.
        let tokens: TokenStream = item.text.parse().expect("an item written as text lexes");
        self.tokens.extend(tokens);
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            self.tokens.extend(self.blocks.verbatim(std::mem::take(&mut self.text)));
        }
    }

    /// The items, in the order they were pushed.
    pub fn finish(mut self) -> TokenStream {
        self.flush();
        self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// prettyplease's printing of `text` (items) in a module `depth` levels deep, without the
    /// modules' lines and indentation.
    fn by_prettyplease(text: &str, depth: usize) -> String {
        let open: String = (0..depth).map(|i| format!("mod m{i} {{\n")).collect();
        let close = "}\n".repeat(depth);
        let file = syn::parse_file(&format!("{open}{text}{close}")).unwrap();
        let printed = prettyplease::unparse(&file);
        let lines: Vec<&str> = printed.lines().collect();
        let inner = &lines[depth..lines.len() - depth];
        inner
            .iter()
            .map(|l| format!("{}\n", l.get(depth * 4..).unwrap_or("")))
            .collect()
    }

    /// Writes items naming `N…` of every length from 2 to 100 at depths 0 to 3 (lines from
    /// narrow to far over the margin), and checks that each item written as sure is exactly what
    /// prettyplease prints of it. Returns how many were sure and how many were not.
    fn sweep(mut write: impl FnMut(&mut Item, &str)) -> (usize, usize) {
        let (mut sure, mut unsure) = (0, 0);
        for depth in 0..4 {
            for len in 1..NAMES {
                let name = format!("N{}", "x".repeat(len));
                let blocks = Blocks::default();
                let items = Items::new(&blocks, depth);
                let mut item = items.item();
                write(&mut item, &name);
                if item.sure {
                    sure += 1;
                    assert_eq!(item.text, by_prettyplease(&item.text, depth), "depth {depth}");
                } else {
                    unsure += 1;
                }
            }
        }
        (sure, unsure)
    }

    const NAMES: usize = 100;
    const ITEMS: usize = 4 * (NAMES - 1);

    fn broken_and_not(found: &[bool]) {
        assert!(
            found.contains(&true) && found.contains(&false),
            "both forms are written: {found:?}"
        );
    }

    #[test]
    fn fields_too_wide_are_broken_at_their_generic_arguments_as_prettyplease_does() {
        let mut forms = Vec::new();
        let (sure, unsure) = sweep(|item, name| {
            item.open("pub struct S {");
            item.field("pub field_name: ", &format!("Option<Vec<{name}>>"));
            item.field("pub plain: ", &format!("crate::types::{name}"));
            item.close("}");
            forms.push(item.text.contains("Option<\n"));
        });
        broken_and_not(&forms);
        // Only an argument still too wide for its own line is left to prettyplease.
        assert!(sure > ITEMS / 2 && unsure > 0, "{sure} {unsure}");
    }

    #[test]
    fn calls_and_cfgs_are_broken_as_prettyplease_does() {
        let mut forms = Vec::new();
        sweep(|item, name| {
            item.call("::rt::__private::withheld_debug", name);
            forms.push(item.text.contains("!(\n"));
        });
        broken_and_not(&forms);
        for count in [1, 2, 5] {
            let (mut broken, mut any_broken) = (Vec::new(), Vec::new());
            let (sure, _) = sweep(|item, name| {
                let features: Vec<String> = (0..count)
                    .map(|i| format!("feature = \"{}{i}\"", &name[..name.len() / count]))
                    .collect();
                item.cfg(&features);
                item.line("pub struct S {}");
                broken.push(item.text.starts_with("#[cfg(\n"));
                any_broken.push(item.text.contains("any(\n"));
            });
            broken_and_not(&broken);
            if count > 1 {
                broken_and_not(&any_broken);
            }
            assert_eq!(sure, ITEMS, "a cfg is always written");
        }
    }

    #[test]
    fn struct_literals_and_patterns_are_on_one_line_where_prettyplease_keeps_them() {
        let (mut literals, mut patterns) = (Vec::new(), Vec::new());
        let (sure, unsure) = sweep(|item, name| {
            let fields = [name.to_lowercase(), "b".to_string()];
            let inits = [name.to_lowercase(), "c: None".to_string()];
            item.open("impl S {");
            for n in [1, 2] {
                item.open(&format!("pub fn new(required: {name}) -> Self {{"));
                item.pattern(&format!("let {name} {{"), &fields[..n], "} = required;");
                item.literal("Self {", &inits[..n], "}");
                item.close("}");
            }
            item.close("}");
            literals.push(!item.text.contains("Self { "));
            patterns.push(item.text.contains(&format!("let {name} {{\n")));
        });
        broken_and_not(&literals);
        broken_and_not(&patterns);
        // Patterns in the band where prettyplease's choice depends on more than the width are
        // left to it.
        assert!(sure > ITEMS / 4 && unsure > 0, "{sure} {unsure}");
    }

    #[test]
    fn docs_are_written_as_prettyplease_prints_them() {
        let (sure, _) = sweep(|item, name| {
            item.doc(&format!("{name} [a] `b`\n\n```\n  code\n```\nlast line   "));
            item.line("pub struct S;");
        });
        assert_eq!(sure, ITEMS);
    }
}
