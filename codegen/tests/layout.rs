//! The generator lays out some things itself instead of prettyplease: doc comments of several
//! lines (carried through syn as one attribute), and the type definitions, written as text with
//! the bodies of `json_object!` / `json_enum!` one row per line (prettyplease would fill a
//! macro's tokens into lines like a paragraph).

use wechatpay_codegen::{generate, Options};

fn generated(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = generate(dir.path(), &Options::default()).unwrap();
    for (path, text) in &out.files {
        // Every file is valid Rust.
        if let Err(e) = syn::parse_file(text) {
            panic!("{}: {e}\n{text}", path.display());
        }
    }
    out.files.values().cloned().collect::<Vec<_>>().join("\n")
}

const SPEC: &str = r#"
post:
  summary: Create
  description: |
    First paragraph.

    Second paragraph.
    ```
    {"a": 1}
    ```
  body:
    properties:
      a_very_long_property_name_that_makes_the_nested_struct_name_long_enough_to_wrap:
        description: "Line one, with a control character: \u0001.\n\nLine two."
        properties:
          another_long_field_name_inside_it:
            type: string
            required: true
          state:
            type: string
            enum: [OK, NOT_OK]
  response:
    status: 204
"#;

#[test]
fn multi_line_docs_and_macro_bodies_are_laid_out() {
    let text = generated(&[("v3/shop/orders.yaml", SPEC)]);
    // No placeholder left behind.
    assert!(!text.contains('\u{1}'), "{text}");
    // The description's paragraphs and fence, one `///` line each.
    assert!(text.contains("    /// First paragraph.\n    ///\n    /// Second paragraph.\n    ///\n    /// ```text\n    /// {\"a\": 1}\n    /// ```\n"), "{text}");
    // A field's doc of two paragraphs.
    assert!(
        text.contains("    /// Line one, with a control character: .\n    ///\n    /// Line two.\n"),
        "{text}"
    );
    // A struct name long enough that prettyplease wraps `json_object!(Name);` over three lines:
    // the body is still one field per line, at the item's indentation.
    let name = "PostRequestAVeryLongPropertyNameThatMakesTheNestedStructNameLongEnoughToWrap";
    assert!(
        text.contains(&format!(
            "::wechatpay::runtime::__private::json_object!({name} {{\n    another_long_field_name_inside_it: \"another_long_field_name_inside_it\" required,\n    state: \"state\" optional,\n}});\n"
        )),
        "{text}"
    );
    assert!(text.contains("json_enum!(PostRequestAVeryLongPropertyNameThatMakesTheNestedStructNameLongEnoughToWrapState {\n    Ok = \"OK\",\n    NotOk = \"NOT_OK\",\n});"), "{text}");
}

#[test]
fn a_lone_carriage_return_in_a_description_still_makes_valid_rust() {
    let spec = "post:\n  summary: \"Create\\rnow\"\n  body:\n    properties:\n      a:\n        type: string\n        description: \"one\\rtwo\"\n  response:\n    status: 204\n";
    let text = generated(&[("v3/shop/orders.yaml", spec)]);
    assert!(!text.contains('\r'), "{text:?}");
}
