//! Doc comments: the spec's text as `///` lines, and string literals that carry text.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::{DOC_MARK, MARKS};

/// The lines of a doc comment (each an attribute value: `" text"`, or `""` between paragraphs).
/// One paragraph per source line, so imported text never trips Markdown lints (lazy list
/// continuations, over-indented items). Code fences are kept together and marked `text`, so that
/// rustdoc never runs them as tests. The printer's marks are removed from the text, and a lone
/// carriage return ends a line (Rust refuses one in a doc comment).
pub fn doc_lines(text: &str) -> Vec<String> {
    let text: std::borrow::Cow<'_, str> = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        text.into()
    };
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
        if l.contains(MARKS) {
            *l = l.replace(MARKS, "");
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
pub(super) fn text_literal(text: &str) -> Literal {
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
