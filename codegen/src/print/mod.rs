//! Printing: the text of a generated file.
//!
//! Two printers, one output. This module is the only code that writes or reads printed text.
//!
//! - **Regular items as text** ([`text`]). The type definitions (structs, enums, their
//!   `json_object!` calls and constructors) are two thirds of the generated code and all of a few
//!   fixed forms. They are written straight as the text prettyplease would print, and carried
//!   through the tokens of their file as one [`verbatim`] block. An item whose layout depends on
//!   the line width in a way not known for sure is handed to prettyplease as tokens instead.
//! - **Everything else by prettyplease** ([`print`]): tokens (`quote!`) are parsed with syn and
//!   printed, then [`print`] rewrites the lines that carry marks:
//!   - **Doc comments of several lines** ([`docs`]). One `#[doc]` attribute per line would be one
//!     attribute for syn to parse and prettyplease to print per line (most of the API's docs are
//!     several paragraphs). The lines travel as one attribute, `DOC_MARK` line `DOC_MARK` line
//!     …, which prettyplease prints as a single `///` comment; [`print`] splits it into one
//!     `///` line per line at the same indentation.
//!   - **Verbatim blocks** ([`Blocks`]): the text of the items written as text is kept beside
//!     the tokens, which carry `VERBATIM_MARK` and the block's number in a doc attribute on
//!     `const _: () = ();`; [`print`] writes the block's lines at the attribute's indentation
//!     instead of both. (Carried in the tokens themselves, the text was lexed, parsed and
//!     unescaped three times over: a fifth of generation.)
//!
//! A file is its tokens and the blocks they refer to; printing them twice gives the same text.

mod docs;
pub mod text;

use proc_macro2::TokenStream;
use quote::quote;

use crate::error::Error;

pub use docs::{doc_lines, docs};
pub use text::{Item, Items};

/// The verbatim blocks of the file being emitted, referred to from its tokens by number.
#[derive(Default)]
pub struct Blocks(std::cell::RefCell<Vec<String>>);

impl Blocks {
    /// Tokens that [`print`] replaces with `lines`, at the indentation of the place they are put
    /// in. Each line of `lines` is one line of output, indented relative to that place.
    fn verbatim(&self, lines: String) -> TokenStream {
        debug_assert!(!lines.contains(MARKS), "{lines:?}");
        let mut blocks = self.0.borrow_mut();
        let value = format!("{VERBATIM_MARK}{}", blocks.len());
        blocks.push(lines);
        quote! {
            #[doc = #value]
            const _: () = ();
        }
    }

    /// The blocks so far, leaving none.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Starts a doc comment of several lines, and separates its lines.
const DOC_MARK: char = '\u{1}';
/// Starts the number of a verbatim block.
const VERBATIM_MARK: char = '\u{3}';
/// The marks, which no text of the spec may carry into the output.
const MARKS: [char; 2] = [DOC_MARK, VERBATIM_MARK];
/// The item a verbatim block's attribute is attached to; [`print`] removes it.
const VERBATIM_ITEM: &str = "const _: () = ();";

/// Parses and prints items with prettyplease, then lays out the doc comments of several lines
/// and writes in the verbatim blocks, which it takes from `blocks` (see the module docs).
pub fn print(items: TokenStream, blocks: &Blocks) -> Result<String, Error> {
    let parsed: syn::File = syn::parse2(items).map_err(|e| Error::Internal(e.to_string()))?;
    relayout(&prettyplease::unparse(&parsed), &blocks.take())
}

/// The second half of [`print`]: rewrites the marked lines of prettyplease's output.
fn relayout(printed: &str, blocks: &[String]) -> Result<String, Error> {
    let mut out = String::with_capacity(printed.len() + printed.len() / 4);
    let mut lines = printed.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let Some(rest) = trimmed.strip_prefix("///") else {
            out.push_str(line);
            continue;
        };
        let rest = rest.trim_end_matches(['\n', '\r']);
        if let Some(doc) = rest.strip_prefix(DOC_MARK) {
            // As prettyplease prints one doc attribute per line: trailing spaces trimmed.
            for l in doc.split(DOC_MARK) {
                out.push_str(indent);
                out.push_str("///");
                out.push_str(l.trim_end_matches(' '));
                out.push('\n');
            }
        } else if let Some(number) = rest.strip_prefix(VERBATIM_MARK) {
            let block = number.parse().ok().and_then(|n: usize| blocks.get(n));
            let (Some(block), Some(VERBATIM_ITEM)) = (block, lines.next().map(str::trim)) else {
                return Err(Error::Internal(format!(
                    "verbatim block {number:?} is unknown or not printed before `{VERBATIM_ITEM}`"
                )));
            };
            for l in block.lines() {
                if !l.is_empty() {
                    out.push_str(indent);
                }
                out.push_str(l);
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    if let Some(line) = out.lines().find(|l| l.contains(MARKS)) {
        return Err(Error::Internal(format!(
            "a layout mark was not printed as expected: {line:?}"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::docs::text_literal;
    use super::*;

    fn printed(items: TokenStream) -> String {
        print(items, &Blocks::default()).unwrap()
    }

    #[test]
    fn a_doc_of_several_lines_is_one_attribute_printed_as_lines() {
        let doc = docs("First.\n\n  Second, indented.   \n```\n  {\"a\": 1}\n```");
        // One attribute in the tokens, whatever the number of lines.
        assert_eq!(doc.to_string().matches("doc").count(), 1);
        let text = printed(quote! { mod m { #doc pub struct A; } });
        assert_eq!(
            text,
            "mod m {\n    /// First.\n    ///\n    /// Second, indented.\n    ///\n    /// ```text\n    ///   {\"a\": 1}\n    /// ```\n    pub struct A;\n}\n"
        );
    }

    #[test]
    fn brackets_that_make_no_link_are_escaped() {
        for (text, doc) in [
            ("状态需为[USER_CONFIRM:用户确认]", r"状态需为\[USER_CONFIRM:用户确认\]"),
            (
                "[官方文档](https://pay.weixin.qq.com/x)",
                "[官方文档](https://pay.weixin.qq.com/x)",
            ),
            (
                "see [`GetRequest`] and [`E::D`](crate::E::D)",
                "see [`GetRequest`] and [`E::D`](crate::E::D)",
            ),
            ("code `a[0]` and [1] [2](u)", r"code `a[0]` and \[1\] [2](u)"),
            ("a lone [ stays", "a lone [ stays"),
            ("so does a ] alone", "so does a ] alone"),
            ("a pair [ and ] is escaped", r"a pair \[ and \] is escaped"),
            ("no brackets", "no brackets"),
        ] {
            assert_eq!(doc_lines(text), vec![format!(" {doc}")], "{text}");
        }
    }

    #[test]
    fn one_line_and_no_text() {
        let one = docs("Only.");
        assert_eq!(printed(quote! { #one pub struct A; }), "/// Only.\npub struct A;\n");
        assert!(docs("").is_empty());
        assert!(docs("\n  \n").is_empty());
    }

    #[test]
    fn an_open_fence_is_closed_and_marks_never_reach_the_output() {
        let doc = docs("a\u{1}b\u{3}c\n```\nx");
        let text = printed(quote! { #doc pub struct A; });
        assert_eq!(text, "/// abc\n///\n/// ```text\n/// x\n/// ```\npub struct A;\n");
        assert!(!text.contains(MARKS));
    }

    /// Items written as text at `depth`: a struct and a macro call of two rows.
    fn written(blocks: &Blocks, depth: usize, name: &str) -> TokenStream {
        let mut items = Items::new(blocks, depth);
        let mut def = items.item();
        def.doc("One.\nTwo.");
        def.open(&format!("pub struct {name} {{"));
        def.field("pub a: ", "String");
        def.close("}");
        items.push(def);
        let mut call = items.item();
        call.raw_line(&format!("::rt::json_object!({name} {{"));
        call.raw_line("    a: \"a\" required,");
        call.raw_line("});");
        items.push(call);
        items.finish()
    }

    #[test]
    fn verbatim_blocks_are_written_at_the_place_their_tokens_are_put_in() {
        let blocks = Blocks::default();
        let inner = written(&blocks, 1, "A");
        let outer = written(&blocks, 0, "B");
        // One block per run of written items, whatever their number.
        assert_eq!(inner.to_string().matches("doc").count(), 1);
        let text = print(quote! { mod m { #inner pub struct C; } #outer }, &blocks).unwrap();
        assert_eq!(
            text,
            "mod m {\n    /// One.\n    ///\n    /// Two.\n    pub struct A {\n        pub a: String,\n    }\n    ::rt::json_object!(A {\n        a: \"a\" required,\n    });\n    pub struct C;\n}\n/// One.\n///\n/// Two.\npub struct B {\n    pub a: String,\n}\n::rt::json_object!(B {\n    a: \"a\" required,\n});\n"
        );
        // `print` took the blocks: the next file starts with none.
        assert!(blocks.take().is_empty());
    }

    #[test]
    fn an_item_not_surely_laid_out_as_written_goes_to_prettyplease() {
        let blocks = Blocks::default();
        let mut items = Items::new(&blocks, 0);
        let mut def = items.item();
        def.open("pub fn f(");
        def.line(&format!("x: {},", "A".repeat(90)));
        def.close(") {}");
        items.push(def);
        let tokens = items.finish();
        assert!(!tokens.to_string().contains("const _"), "{tokens}");
        assert_eq!(
            printed(tokens),
            format!("pub fn f(\n    x: {},\n) {{}}\n", "A".repeat(90))
        );
    }

    #[test]
    fn an_unknown_block_or_a_surviving_mark_is_an_error() {
        let blocks = ["pub struct A;".to_string()];
        let unknown = relayout("///\u{3}1\nconst _: () = ();\n", &blocks).unwrap_err();
        assert!(
            unknown.to_string().contains("verbatim block \"1\" is unknown"),
            "{unknown}"
        );
        assert!(relayout("///\u{3}0\npub struct B;\n", &blocks).is_err());
        assert!(relayout("///\u{3}0\n", &blocks).is_err());
        assert_eq!(
            relayout("///\u{3}0\nconst _: () = ();\n", &blocks).unwrap(),
            "pub struct A;\n"
        );
        // A mark anywhere but at the start of a comment (prettyplease printed it otherwise).
        let stray = relayout("#[doc = \"\u{1}a\nb\"]\npub struct A;\n", &[]).unwrap_err();
        assert!(stray.to_string().contains("layout mark"), "{stray}");
    }

    #[test]
    fn literals_are_raw_where_they_can_be_and_keep_the_value() {
        for text in [
            "plain",
            "a \"quote\"",
            "a \"# hash",
            "\"## two",
            "tab\tand\u{1}mark",
            "lone\rreturn",
            "中文，全角",
        ] {
            let lit = text_literal(text);
            let value = syn::parse2::<syn::LitStr>(quote!(#lit)).unwrap().value();
            assert_eq!(value, text, "{lit}");
            assert_eq!(lit.to_string().starts_with('r'), !text.contains('\r'), "{lit}");
        }
    }

    #[test]
    fn printing_is_deterministic_and_stateless() {
        let print_once = || {
            let blocks = Blocks::default();
            let doc = docs("One.\nTwo.");
            let written = written(&blocks, 0, "A");
            print(quote! { #doc pub struct D; #written }, &blocks).unwrap()
        };
        assert_eq!(print_once(), print_once());
    }
}
