//! APIv2 bodies: one root element (`<xml>`; a decrypted refund notification's is `<root>`) whose
//! children are the fields, each text or CDATA. No attributes are written; those read are
//! ignored. Reading refuses what the protocol never sends and a parser could be attacked with:
//! a DTD (so no entity of one is ever expanded: the five XML entities and character references
//! are the only ones), processing instructions, nested elements, a field given twice (which of
//! two values a signature covered is not knowable), text outside the fields, a second root.

use std::fmt;

use quick_xml::events::Event;
use quick_xml::Reader;

/// A field to write: its name, its value, and whether the value goes in a CDATA section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The element name: ASCII letters, digits and `_`.
    pub name: &'a str,
    /// The text.
    pub value: &'a str,
    /// `<![CDATA[…]]>` instead of escaped text (the API description's `x-cdata`).
    pub cdata: bool,
}

/// Why a body is not an APIv2 body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(String);

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XmlError {}

impl XmlError {
    /// An error of a body whose content must not be quoted (decrypted data).
    pub(crate) fn withheld(message: &str) -> XmlError {
        XmlError(message.to_owned())
    }
}

fn error(message: impl Into<String>) -> XmlError {
    XmlError(message.into())
}

/// Whether `name` can be a field's element name.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

/// `<root>` with one element per field, in the given order.
pub fn write(root: &str, fields: &[Field<'_>]) -> Result<String, XmlError> {
    if !is_name(root) {
        return Err(error(format!("{root:?} is not an element name")));
    }
    let mut out = String::with_capacity(
        64 + fields
            .iter()
            .map(|f| 2 * f.name.len() + f.value.len() + 16)
            .sum::<usize>(),
    );
    out.push('<');
    out.push_str(root);
    out.push('>');
    for f in fields {
        if !is_name(f.name) {
            return Err(error(format!(
                "{:?} is not a field name (ASCII letters, digits, `_`)",
                f.name
            )));
        }
        if f.value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(error(format!(
                "field {}: a control character cannot be sent in XML",
                f.name
            )));
        }
        out.push('<');
        out.push_str(f.name);
        out.push('>');
        if f.cdata {
            // `]]>` would end the section: it is split across two.
            out.push_str("<![CDATA[");
            out.push_str(&f.value.replace("]]>", "]]]]><![CDATA[>"));
            out.push_str("]]>");
        } else {
            for c in f.value.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    c => out.push(c),
                }
            }
        }
        out.push_str("</");
        out.push_str(f.name);
        out.push('>');
    }
    out.push_str("</");
    out.push_str(root);
    out.push('>');
    Ok(out)
}

/// The largest body [`read`] takes: 1 MiB (APIv2 answers and notifications are a few KiB; a
/// bill is not XML).
pub const MAX_BODY: usize = 1 << 20;

/// The fields of a body whose root element is `root`, in document order.
pub fn read(body: &[u8], root: &str) -> Result<Vec<(String, String)>, XmlError> {
    if body.len() > MAX_BODY {
        return Err(error(format!("the body is {} bytes, more than {MAX_BODY}", body.len())));
    }
    let text = std::str::from_utf8(body).map_err(|_| error("the body is not UTF-8"))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut fields: Vec<(String, String)> = Vec::new();
    // Where the reader is: before the root, in it (and in which field), after it.
    let mut in_root = false;
    let mut done = false;
    let mut field: Option<(String, String)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| error(format!("not well-formed XML at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Eof => break,
            Event::Decl(_) if !in_root && !done && fields.is_empty() => {}
            Event::Comment(_) => {}
            Event::DocType(_) => return Err(error("a DTD (<!DOCTYPE …>) is not allowed")),
            Event::PI(_) | Event::Decl(_) => return Err(error("a processing instruction is not allowed")),
            Event::Start(e) | Event::Empty(e) if done => {
                return Err(error(format!(
                    "a second root element <{}>",
                    String::from_utf8_lossy(e.name().as_ref())
                )))
            }
            Event::Start(e) if !in_root => {
                let name = e.name();
                if name.as_ref() != root.as_bytes() {
                    return Err(error(format!(
                        "the root element is <{}>, not <{root}>",
                        String::from_utf8_lossy(name.as_ref())
                    )));
                }
                in_root = true;
            }
            Event::Empty(e) if !in_root => {
                if e.name().as_ref() != root.as_bytes() {
                    return Err(error(format!("the root element is not <{root}>")));
                }
                done = true;
            }
            Event::Start(e) | Event::Empty(e) if field.is_some() => {
                let (outer, _) = field.as_ref().expect("checked");
                return Err(error(format!(
                    "field {outer}: a nested element <{}> (fields are text)",
                    String::from_utf8_lossy(e.name().as_ref())
                )));
            }
            Event::Start(e) => field = Some((name_of(e.name().as_ref())?, String::new())),
            Event::Empty(e) => push(&mut fields, (name_of(e.name().as_ref())?, String::new()))?,
            Event::End(_) => match field.take() {
                Some(f) => push(&mut fields, f)?,
                None => {
                    in_root = false;
                    done = true;
                }
            },
            Event::Text(t) => {
                let t = t
                    .decode()
                    .map_err(|e| error(format!("text that cannot be decoded: {e}")))?;
                match &mut field {
                    Some((_, value)) => value.push_str(&t),
                    None if t.trim().is_empty() => {}
                    None => return Err(error("text outside the fields")),
                }
            }
            Event::CData(c) => {
                let c = c
                    .decode()
                    .map_err(|e| error(format!("CDATA that cannot be decoded: {e}")))?;
                match &mut field {
                    Some((_, value)) => value.push_str(&c),
                    None => return Err(error("CDATA outside the fields")),
                }
            }
            Event::GeneralRef(r) => {
                let Some((name, value)) = &mut field else {
                    return Err(error("a reference outside the fields"));
                };
                if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => value.push(c),
                        _ => return Err(error(format!("field {name}: an invalid character reference"))),
                    }
                } else {
                    let entity = r.decode().map_err(|_| error("a reference that cannot be decoded"))?;
                    match quick_xml::escape::resolve_predefined_entity(&entity) {
                        Some(text) => value.push_str(text),
                        None => return Err(error(format!("field {name}: the entity &{entity}; is not an XML one"))),
                    }
                }
            }
        }
    }
    if !done {
        return Err(error(format!("the body is cut short: no closed <{root}>")));
    }
    Ok(fields)
}

/// The value of field `name` of `fields` (as [`read`] gives them, or as they are signed).
pub fn field<'a, N: AsRef<str>, V: AsRef<str>>(fields: &'a [(N, V)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n.as_ref() == name).map(|(_, v)| v.as_ref())
}

fn name_of(raw: &[u8]) -> Result<String, XmlError> {
    let name = std::str::from_utf8(raw).map_err(|_| error("an element name that is not UTF-8"))?;
    Ok(name.to_owned())
}

fn push(fields: &mut Vec<(String, String)>, field: (String, String)) -> Result<(), XmlError> {
    if fields.iter().any(|(n, _)| *n == field.0) {
        return Err(error(format!("field {} is given twice", field.0)));
    }
    fields.push(field);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f<'a>(name: &'a str, value: &'a str, cdata: bool) -> Field<'a> {
        Field { name, value, cdata }
    }

    #[test]
    fn fields_round_trip_as_text_or_cdata() {
        let fields = [
            f("appid", "wxd678efh567hg6787", false),
            f("body", "腾讯充值中心-QQ会员充值 <&> \"'", true),
            f("attach", "a ]]> b", true),
            f("detail", "x < y & z > w", false),
            f("empty", "", false),
        ];
        let xml = write("xml", &fields).unwrap();
        assert!(xml.starts_with("<xml><appid>wxd678efh567hg6787</appid><body><![CDATA[腾讯充值中心"));
        assert!(xml.contains("<detail>x &lt; y &amp; z &gt; w</detail>"), "{xml}");
        let read = read(xml.as_bytes(), "xml").unwrap();
        let expected: Vec<(String, String)> = fields.iter().map(|f| (f.name.into(), f.value.into())).collect();
        assert_eq!(read, expected);
    }

    #[test]
    fn what_the_protocol_never_sends_is_refused() {
        let refused = [
            // Entity expansion (billion laughs, external entities) never starts: no DTD at all.
            (
                r#"<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><x>&a;</x></xml>"#,
                "DTD",
            ),
            (
                r#"<!DOCTYPE xml SYSTEM "file:///etc/passwd"><xml><x>&xxe;</x></xml>"#,
                "DTD",
            ),
            ("<xml><x>&unknown;</x></xml>", "not an XML one"),
            ("<xml><x><y>1</y></x></xml>", "nested element"),
            ("<xml><x>1</x><x>2</x></xml>", "given twice"),
            ("<xml><x>1</x>stray</xml>", "outside the fields"),
            ("<xml><x>1</x></xml><xml/>", "second root"),
            ("<root><x>1</x></root>", "not <xml>"),
            ("<xml><x>1</x>", "cut short"),
            ("<xml><x>1</y></xml>", "well-formed"),
            ("", "cut short"),
            ("<?php echo 1; ?><xml/>", "processing instruction"),
        ];
        for (body, why) in refused {
            let e = read(body.as_bytes(), "xml").unwrap_err().to_string();
            assert!(e.contains(why), "{body}: {e}");
        }
        assert!(read(b"\xff\xfe<xml/>", "xml").is_err());
        let huge = format!("<xml><x>{}</x></xml>", "a".repeat(MAX_BODY));
        assert!(read(huge.as_bytes(), "xml")
            .unwrap_err()
            .to_string()
            .contains("more than"));
    }

    #[test]
    fn references_comments_and_attributes() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment --><xml a="1"><x b="2">&lt;&#x4E2D;&#25991;&amp;</x><y/><z><![CDATA[<c>]]>d</z></xml>"#;
        let fields = read(body.as_bytes(), "xml").unwrap();
        assert_eq!(
            fields,
            vec![
                ("x".into(), "<中文&".into()),
                ("y".into(), String::new()),
                ("z".into(), "<c>d".into())
            ]
        );
        assert!(read("<xml><x>&#0;</x></xml>".as_bytes(), "xml").is_err());
    }

    #[test]
    fn names_and_values_that_cannot_be_written_are_errors() {
        assert!(write("xml", &[f("a b", "1", false)]).is_err());
        assert!(write("xml", &[f("a<", "1", false)]).is_err());
        assert!(write("xml", &[f("1a", "1", false)]).is_err());
        assert!(write("x ml", &[]).is_err());
        assert!(write("xml", &[f("a", "bell \u{7}", false)]).is_err());
        assert_eq!(write("xml", &[]).unwrap(), "<xml></xml>");
    }
}
