//! The top-level keys of a decrypted resource, which tell its shape apart (a partner payment's
//! `sp_mchid`, a combined payment's `combine_mchid`) before it is typed.
//!
//! The keys are found by a structural walk that does not check the JSON: the typed decode that
//! follows reads every byte with serde_json, and a resource that is not JSON fails there (no
//! shape's type, nor `serde_json::Value`, accepts it). Checking here too would parse every
//! notification twice, a third of what the client adds to verify + decrypt.

use std::ops::Range;

/// A top-level key: where it is in the plaintext, or (escaped in the JSON) its value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Key {
    At(Range<usize>),
    Unescaped(Box<str>),
}

impl Key {
    /// Whether this key of `json` is `name`.
    pub(crate) fn is(&self, json: &[u8], name: &str) -> bool {
        match self {
            Key::At(range) => json.get(range.clone()) == Some(name.as_bytes()),
            Key::Unescaped(key) => **key == *name,
        }
    }
}

/// The keys of `json`'s top-level object, in order; none if it does not start with an object.
/// Bytes that are not JSON give the keys read before them (the typed decode refuses them).
pub(crate) fn top_level_keys(json: &[u8]) -> Vec<Key> {
    let mut walk = Walk { json, at: 0 };
    let mut keys = Vec::with_capacity(24);
    if walk.skip_space() != Some(b'{') {
        return keys;
    }
    walk.at += 1;
    while walk.skip_space() == Some(b'"') {
        let Some((range, escaped)) = walk.string() else { break };
        keys.push(if escaped {
            // The JSON string's value; one that is not valid JSON matches no name.
            let quoted = &json[range.start - 1..=range.end];
            Key::Unescaped(serde_json::from_slice::<String>(quoted).unwrap_or_default().into())
        } else {
            Key::At(range)
        });
        if walk.skip_space() != Some(b':') {
            break;
        }
        walk.at += 1;
        match walk.skip_value() {
            Some(b',') => walk.at += 1,
            _ => break,
        }
    }
    keys
}

struct Walk<'a> {
    json: &'a [u8],
    at: usize,
}

impl Walk<'_> {
    /// Skips white space; the byte reached, if any.
    fn skip_space(&mut self) -> Option<u8> {
        while let Some(&b) = self.json.get(self.at) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    /// The string starting at the `"` under the cursor: where its text is and whether it has
    /// escapes; the cursor after its closing quote. `None` if it does not end.
    fn string(&mut self) -> Option<(Range<usize>, bool)> {
        let start = self.at + 1;
        let mut escaped = false;
        let mut i = start;
        loop {
            // Most strings here are short: a plain loop beats a vectorised search.
            i += self.json.get(i..)?.iter().position(|&b| b == b'"' || b == b'\\')?;
            if self.json[i] == b'"' {
                break;
            }
            escaped = true;
            i += 2;
        }
        self.at = i + 1;
        Some((start..i, escaped))
    }

    /// Skips one value (whatever it holds); the byte after it at depth 0 (`,` or `}`), the
    /// cursor on it.
    fn skip_value(&mut self) -> Option<u8> {
        let mut depth = 0usize;
        loop {
            let b = *self.json.get(self.at)?;
            match b {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => return Some(b),
                b'}' | b']' => depth -= 1,
                b',' if depth == 0 => return Some(b),
                _ => {}
            }
            self.at += 1;
        }
    }
}
