//! Printing: tokens → the text of a generated file.
//!
//! `prettyplease` prints almost everything as we want it. Two things it cannot lay out the way
//! a reader wants, so the tokens carry them in a form prettyplease prints verbatim, and
//! [`print`] rewrites those lines afterwards. This module is the only code that reads or writes
//! printed text; the emitter builds tokens only.
//!
//! - **Doc comments of several lines** ([`docs`]). One `#[doc]` attribute per line would be one
//!   attribute for syn to parse and prettyplease to print per line (most of the API's docs are
//!   several paragraphs). The lines travel as one attribute, `DOC_MARK` line `DOC_MARK` line …,
//!   which prettyplease prints as a single `///` comment; [`print`] splits it into one `///`
//!   line per line at the same indentation.
//! - **The bodies of `json_object!` and `json_enum!`** ([`layout_macro`]). prettyplease fills a
//!   macro's tokens into lines like a paragraph; the generated code wants one field or variant per
//!   line. The call is emitted as `mac!(Name);` with the body lines in a doc attribute before it
//!   (`MACRO_MARK` mac `MACRO_MARK` Name `MACRO_MARK` line …); [`print`] removes the attribute
//!   and writes the body into the call.
//!
//! Everything a file needs is in its tokens: there is no state between the emitter and the
//! printer, and printing a file twice gives the same text.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use crate::error::Error;

/// Starts a doc comment of several lines, and separates its lines.
const DOC_MARK: char = '\u{1}';
/// Starts the layout of a macro body, and separates its macro name, type name and lines.
const MACRO_MARK: char = '\u{2}';

/// The lines of a doc comment (each an attribute value: `" text"`, or `""` between paragraphs).
/// One paragraph per source line, so imported text never trips Markdown lints (lazy list
/// continuations, over-indented items). Code fences are kept together and marked `text`, so that
/// rustdoc never runs them as tests. The two marks are removed from the text.
pub fn doc_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut first = true;
    let mut in_fence = false;
    for line in text.lines() {
        let trimmed = line.trim();
        let is_fence = trimmed.starts_with("```");
        if !in_fence && trimmed.is_empty() {
            continue;
        }
        if !first && !in_fence {
            out.push(String::new());
        }
        first = false;
        out.push(if is_fence {
            in_fence = !in_fence;
            if in_fence {
                " ```text".to_string()
            } else {
                " ```".to_string()
            }
        } else if in_fence {
            format!(" {}", line.trim_end())
        } else {
            format!(" {}", escape_brackets(trimmed))
        });
    }
    if in_fence {
        out.push(" ```".to_string());
    }
    for l in &mut out {
        if l.contains([DOC_MARK, MACRO_MARK]) {
            *l = l.replace([DOC_MARK, MACRO_MARK], "");
        }
    }
    out
}

/// `line` with the brackets that make no link escaped (`\\[…\\]`), so that rustdoc does not take
/// imported text such as `[USER_CONFIRM:用户确认]` for an intra-doc link and warn. A link is
/// `[text](target)`, or an intra-doc link as the generator writes them, ``[`Name`]``; brackets in
/// a code span are text already and stay as they are.
fn escape_brackets(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains('[') {
        return line.into();
    }
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 4);
    let mut in_code = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            in_code = !in_code;
        } else if c == '[' && !in_code {
            // The closing bracket, outside code spans.
            let mut code = false;
            let close = (i + 1..chars.len()).find(|&j| {
                if chars[j] == '`' {
                    code = !code;
                }
                !code && chars[j] == ']'
            });
            if let Some(j) = close {
                let is_link = chars.get(j + 1) == Some(&'(') || chars.get(i + 1) == Some(&'`');
                if is_link {
                    out.extend(&chars[i..=j]);
                } else {
                    out.push_str("\\[");
                    out.extend(&chars[i + 1..j]);
                    out.push_str("\\]");
                }
                i = j + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out.into()
}

/// Doc attributes for `text`: nothing for no text, one line as it is, several lines as one
/// attribute that [`print`] splits.
pub fn docs(text: &str) -> TokenStream {
    let lines = doc_lines(text);
    match lines.as_slice() {
        [] => TokenStream::new(),
        [line] => {
            let line = text_literal(line);
            quote!(#[doc = #line])
        }
        _ => {
            let mut value = String::new();
            for l in &lines {
                value.push(DOC_MARK);
                value.push_str(l);
            }
            let value = text_literal(&value);
            quote!(#[doc = #value])
        }
    }
}

/// A string literal of `text`, raw (`r#"…"#`) where it can be: the API's docs are mostly
/// Chinese text, and an escaped literal costs a printability check of every character to write
/// and an unescaping pass to read (together about a tenth of generation). The value is the same.
fn text_literal(text: &str) -> Literal {
    let mut hashes = 0;
    while text.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let fence = "#".repeat(hashes);
    // A lone carriage return is the one character a raw literal cannot hold.
    match format!("r{fence}\"{text}\"{fence}").parse::<Literal>() {
        Ok(lit) if !text.contains('\r') => lit,
        _ => Literal::string(text),
    }
}

/// `runtime::mac!(Name);`, whose body [`print`] writes in, one of `lines` per line. The lines
/// are made of identifiers and string literals (`proc_macro2::Literal::string` escapes line
/// breaks and control characters), so none contains a line break or a mark; [`print`] refuses
/// output in which a mark survived.
pub fn layout_macro(runtime: &TokenStream, mac: &str, name: &str, lines: &[String]) -> TokenStream {
    let mut value = format!("{MACRO_MARK}{mac}{MACRO_MARK}{name}");
    for l in lines {
        debug_assert!(!l.contains(['\n', '\r', DOC_MARK, MACRO_MARK]), "{l:?}");
        value.push(MACRO_MARK);
        value.push_str(l);
    }
    let value = text_literal(&value);
    let mac = Ident::new(mac, Span::call_site());
    let name = Ident::new(name, Span::call_site());
    quote! {
        #[doc = #value]
        #runtime::#mac!(#name);
    }
}

/// Parses and prints items with prettyplease, then lays out the doc comments of several lines
/// and the macro bodies (see the module docs).
pub fn print(items: TokenStream) -> Result<String, Error> {
    let parsed: syn::File = syn::parse2(items).map_err(|e| Error::Internal(e.to_string()))?;
    relayout(&prettyplease::unparse(&parsed))
}

/// The second half of [`print`]: rewrites the marked lines of prettyplease's output.
fn relayout(printed: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(printed.len() + printed.len() / 4);
    let lines: Vec<&str> = printed.split_inclusive('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
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
        } else if let Some(layout) = rest.strip_prefix(MACRO_MARK) {
            let mut parts = layout.split(MACRO_MARK);
            let (mac, name) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let body: Vec<&str> = parts.collect();
            // The call, as prettyplease prints it: `…mac!(Name);` on one line, or (a long path
            // or name) `…mac!(` / `Name` / `);`.
            let call = lines.get(i).map(|l| l.trim_end()).unwrap_or_default();
            let head = if let Some(head) = call.strip_suffix(&format!("{mac}!({name});")) {
                i += 1;
                head
            } else if let (Some(head), Some([n, close])) =
                (call.strip_suffix(&format!("{mac}!(")), lines.get(i + 1..i + 3))
            {
                if n.trim() != name || close.trim() != ");" {
                    return Err(Error::Internal(format!(
                        "`{mac}!({name})` is not printed after its layout"
                    )));
                }
                i += 3;
                head
            } else {
                return Err(Error::Internal(format!(
                    "`{mac}!({name})` is not printed after its layout"
                )));
            };
            out.push_str(head);
            if body.is_empty() {
                out.push_str(&format!("{mac}!({name} {{}});\n"));
            } else {
                out.push_str(&format!("{mac}!({name} {{\n"));
                for l in body {
                    out.push_str(&format!("{indent}    {l}\n"));
                }
                out.push_str(&format!("{indent}}});\n"));
            }
        } else {
            out.push_str(line);
        }
    }
    if let Some(line) = out.lines().find(|l| l.contains([DOC_MARK, MACRO_MARK])) {
        return Err(Error::Internal(format!(
            "a layout mark was not printed as expected: {line:?}"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(items: TokenStream) -> String {
        print(items).unwrap()
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
        let doc = docs("a\u{1}b\u{2}c\n```\nx");
        let text = printed(quote! { #doc pub struct A; });
        assert_eq!(text, "/// abc\n///\n/// ```text\n/// x\n/// ```\npub struct A;\n");
        assert!(!text.contains(['\u{1}', '\u{2}']));
    }

    #[test]
    fn macro_bodies_one_line_each_and_empty() {
        let rt = quote!(::rt);
        let lines = vec!["a: \"a\" required,".to_string(), "b: query \"b\" optional,".to_string()];
        let call = layout_macro(&rt, "json_object", "Thing", &lines);
        let empty = layout_macro(&rt, "json_enum", "Nothing", &[]);
        let text = printed(quote! { mod m { #call } #empty });
        assert_eq!(
            text,
            "mod m {\n    ::rt::json_object!(Thing {\n        a: \"a\" required,\n        b: query \"b\" optional,\n    });\n}\n::rt::json_enum!(Nothing {});\n"
        );
    }

    #[test]
    fn a_name_too_long_for_one_line_is_found_on_three() {
        let rt = quote!(::some::very::long::runtime::path::that::pushes::the::call::over::the::line);
        let name = "AVeryLongTypeNameThatMakesTheCallWrapOntoSeveralLinesWhenPrinted";
        let call = layout_macro(&rt, "json_object", name, &["x: \"x\" required,".into()]);
        let raw = prettyplease::unparse(&syn::parse2(call.clone()).unwrap());
        assert!(raw.contains(&format!("json_object!(\n    {name}\n);")), "{raw}");
        let text = printed(call);
        assert!(
            text.ends_with(&format!("json_object!({name} {{\n    x: \"x\" required,\n}});\n")),
            "{text}"
        );
    }

    #[test]
    fn a_lost_call_or_a_surviving_mark_is_an_error() {
        let orphan = relayout("///\u{2}json_object\u{2}A\u{2}x,\npub struct B;\n").unwrap_err();
        assert!(
            orphan
                .to_string()
                .contains("`json_object!(A)` is not printed after its layout"),
            "{orphan}"
        );
        assert!(relayout("///\u{2}json_object\u{2}A\n").is_err());
        // A mark anywhere but at the start of a comment (prettyplease printed it otherwise).
        let stray = relayout("#[doc = \"\u{1}a\nb\"]\npub struct A;\n").unwrap_err();
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
        let rt = quote!(::rt);
        let items = || {
            let doc = docs("One.\nTwo.");
            let call = layout_macro(&rt, "json_object", "A", &["a: \"a\" required,".into()]);
            quote! { #doc pub struct A; #call }
        };
        assert_eq!(printed(items()), printed(items()));
    }
}
