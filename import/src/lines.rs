//! Source positions for a parsed YAML file.
//!
//! `serde_yaml` gives values without positions, and drops comments. The upstream description is
//! plain block-style YAML, so a small indentation scanner over the raw text is enough to find the
//! line of any key path (`post` → `parameters` → `[0]` → `schema`) and the trailing comment of a
//! line (`- BARCODE  #一维码`), which is where upstream keeps the meaning of each enum value.

use std::collections::HashMap;

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Idx(usize),
}

/// Key path → 1-based line, plus the raw lines.
#[derive(Debug, Default)]
pub struct LineIndex {
    map: HashMap<Vec<Seg>, usize>,
    lines: Vec<String>,
}

struct Frame {
    col: usize,
    path: Vec<Seg>,
    is_item: bool,
    items: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut map = HashMap::new();
        // The root: a virtual frame left of column 0.
        let mut stack: Vec<Frame> = Vec::new();
        let mut skip_deeper_than: Option<usize> = None;
        for (i, raw) in lines.iter().enumerate() {
            let lineno = i + 1;
            let trimmed = raw.trim_start_matches(' ');
            let col = raw.len() - trimmed.len();
            if let Some(c) = skip_deeper_than {
                if trimmed.trim().is_empty() || col > c {
                    continue;
                }
                skip_deeper_than = None;
            }
            let content = trimmed.trim_end();
            if content.is_empty() || content.starts_with('#') || content == "---" {
                continue;
            }
            let mut col = col;
            let mut rest = content;
            // Sequence items, possibly `- key: value`.
            loop {
                if rest == "-" || rest.starts_with("- ") {
                    while let Some(top) = stack.last() {
                        if top.col > col || (top.col == col && top.is_item) {
                            stack.pop();
                        } else {
                            break;
                        }
                    }
                    let (parent_path, idx) = match stack.last_mut() {
                        Some(top) => {
                            top.items += 1;
                            (top.path.clone(), top.items - 1)
                        }
                        None => (Vec::new(), 0),
                    };
                    let mut path = parent_path;
                    path.push(Seg::Idx(idx));
                    map.entry(path.clone()).or_insert(lineno);
                    stack.push(Frame {
                        col,
                        path,
                        is_item: true,
                        items: 0,
                    });
                    let after = rest[1..].trim_start_matches(' ');
                    col += rest.len() - after.len();
                    rest = after;
                    if rest.is_empty() {
                        break;
                    }
                    continue;
                }
                break;
            }
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            match split_key(rest) {
                Some((key, value)) => {
                    while let Some(top) = stack.last() {
                        if top.col >= col {
                            stack.pop();
                        } else {
                            break;
                        }
                    }
                    let mut path = stack.last().map(|f| f.path.clone()).unwrap_or_default();
                    path.push(Seg::Key(key));
                    map.entry(path.clone()).or_insert(lineno);
                    let value = strip_comment(value).trim();
                    if !value.is_empty() && !value.starts_with('&') {
                        // An inline value: deeper lines continue it (plain, quoted, block
                        // scalar or flow collection), they are not children.
                        skip_deeper_than = Some(col);
                    }
                    stack.push(Frame {
                        col,
                        path,
                        is_item: false,
                        items: 0,
                    });
                }
                None => {
                    // A scalar sequence item (or junk): deeper lines continue it.
                    skip_deeper_than = Some(col);
                }
            }
        }
        LineIndex { map, lines }
    }

    /// The line of `path`, or of its deepest ancestor that was found (at least 1).
    pub fn line(&self, path: &[Seg]) -> usize {
        for n in (1..=path.len()).rev() {
            if let Some(l) = self.map.get(&path[..n]) {
                return *l;
            }
        }
        1
    }

    /// The exact line of `path`, if the scanner saw it.
    pub fn exact(&self, path: &[Seg]) -> Option<usize> {
        self.map.get(path).copied()
    }

    /// The raw text of a 1-based line.
    pub fn raw(&self, line: usize) -> Option<&str> {
        self.lines.get(line.wrapping_sub(1)).map(String::as_str)
    }

    /// The trailing comment of a line, without `#` and surrounding blanks.
    pub fn comment(&self, line: usize) -> Option<String> {
        let raw = self.raw(line)?;
        let code = strip_comment(raw);
        let c = raw[code.len()..].trim_start().trim_start_matches('#').trim();
        (!c.is_empty()).then(|| c.to_owned())
    }

    /// The unquoted plain scalar text of a sequence item or `key: value` line, if it is plain
    /// (not quoted, not a flow collection).
    pub fn plain_scalar(&self, line: usize) -> Option<String> {
        let raw = self.raw(line)?;
        let code = strip_comment(raw).trim();
        let v = if let Some(rest) = code.strip_prefix('-') {
            let rest = rest.trim_start();
            match split_key(rest) {
                Some((_, v)) => v.trim(),
                None => rest,
            }
        } else {
            split_key(code)?.1.trim()
        };
        if v.is_empty() || v.starts_with(['\'', '"', '[', '{', '|', '>', '&', '*', '!']) {
            return None;
        }
        Some(v.to_owned())
    }
}

/// `key: value` → (key, value); quoted keys are unquoted. `None` when the line is not a key line.
fn split_key(s: &str) -> Option<(String, &str)> {
    let bytes = s.as_bytes();
    let (key, after) = if bytes.first() == Some(&b'\'') || bytes.first() == Some(&b'"') {
        let q = bytes[0] as char;
        let mut end = None;
        let mut i = 1;
        while i < s.len() {
            let c = s[i..].chars().next()?;
            if c == q {
                if q == '\'' && s[i + 1..].starts_with('\'') {
                    i += 2;
                    continue;
                }
                end = Some(i);
                break;
            }
            if q == '"' && c == '\\' {
                i += 1;
            }
            i += c.len_utf8();
        }
        let end = end?;
        let key = s[1..end].replace("''", "'");
        let after = s[end + 1..].trim_start_matches(' ');
        (key, after)
    } else {
        let mut found = None;
        for (i, c) in s.char_indices() {
            if c == ':' {
                let next = s[i + 1..].chars().next();
                if next.is_none() || next == Some(' ') {
                    found = Some(i);
                    break;
                }
            }
            if c == '#' && i > 0 && s[..i].ends_with(' ') {
                return None;
            }
        }
        let i = found?;
        if s.starts_with(['[', '{']) {
            return None;
        }
        (s[..i].trim_end().to_owned(), &s[i..])
    };
    let after = after.strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    Some((key, after))
}

/// The part of a line before its comment (a `#` at the start or after a blank, outside quotes).
pub fn strip_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev_blank = true;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '#' && prev_blank {
                    return s[..i].trim_end();
                }
                // A quote only opens a quoted scalar at the start of a value.
                if (c == '\'' || c == '"') && prev_blank_or_indicator(&s[..i]) {
                    quote = Some(c);
                }
            }
        }
        prev_blank = c == ' ' || c == '\t';
    }
    s
}

fn prev_blank_or_indicator(before: &str) -> bool {
    let t = before.trim_end();
    t.is_empty() || t.ends_with(':') || t.ends_with('-') || t.ends_with('[') || t.ends_with(',') || t.ends_with('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[&str]) -> Vec<Seg> {
        s.iter()
            .map(|x| match x.strip_prefix('#') {
                Some(n) => Seg::Idx(n.parse().unwrap()),
                None => Seg::Key((*x).to_owned()),
            })
            .collect()
    }

    #[test]
    fn finds_lines_and_comments() {
        let text = "post:\n  summary: x\n  description: |\n    a: b\n    c\n  parameters:\n    - name: _\n      in: body\n      schema:\n        enum:\n          - A  #甲\n          - 'B # no'\n        example: \"x #y\" # z\n    - $ref: 'a.yaml#/X'\n  responses:\n    200:\n      description: ok\n";
        let ix = LineIndex::new(text);
        assert_eq!(ix.exact(&p(&["post", "summary"])), Some(2));
        assert_eq!(ix.exact(&p(&["post", "description", "a"])), None);
        assert_eq!(ix.exact(&p(&["post", "parameters", "#0", "in"])), Some(8));
        assert_eq!(
            ix.exact(&p(&["post", "parameters", "#0", "schema", "enum", "#1"])),
            Some(12)
        );
        assert_eq!(ix.exact(&p(&["post", "parameters", "#1", "$ref"])), Some(14));
        assert_eq!(ix.exact(&p(&["post", "responses", "200", "description"])), Some(17));
        assert_eq!(ix.comment(11).as_deref(), Some("甲"));
        assert_eq!(ix.comment(12), None);
        assert_eq!(ix.comment(13).as_deref(), Some("z"));
        assert_eq!(ix.plain_scalar(11).as_deref(), Some("A"));
        assert_eq!(ix.plain_scalar(12), None);
    }

    #[test]
    fn sequence_at_key_column() {
        let text = "required:\n- a\n- b\nproperties:\n  a: {type: string}\n";
        let ix = LineIndex::new(text);
        assert_eq!(ix.exact(&p(&["required", "#1"])), Some(3));
        assert_eq!(ix.exact(&p(&["properties", "a"])), Some(5));
    }
}
