//! The spec loader and IR (issue 9, item 19): any text as a path file (its URL has a
//! placeholder), beside a small types file and, when it parses as one, as a types file too;
//! then validation, and for a valid spec the emitter. Oracles: no panic, every error prints,
//! and a spec that validates always emits (the emitter's output parses as Rust).
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use wechatpay_codegen::load::{self, Loaded, LoadedPath, LoadedTypes};
use wechatpay_codegen::spec::{PathFile, TypesFile};
use wechatpay_codegen::{emit, ir, Error};

const TYPES: &str = "Amount:\n  properties:\n    total: {type: integer, required: true}\n    currency: {type: string}\nState:\n  enum: [SUCCESS, CLOSED]\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut loaded = Loaded::default();
    let types_file = PathBuf::from("spec/types/common.yaml");
    loaded.types.push(LoadedTypes {
        file: types_file.clone(),
        text: TYPES.into(),
        types: load::parse::<TypesFile>(&types_file, TYPES).unwrap(),
    });
    let file = PathBuf::from("spec/v3/fuzz/{id}.yaml");
    match load::parse::<PathFile>(&file, text) {
        Ok(spec) => loaded.paths.push(LoadedPath { file, url: "/v3/fuzz/{id}".into(), text: text.into(), spec }),
        Err(e) => loaded.errors.push(e),
    }
    let extra = PathBuf::from("spec/types/fuzz.yaml");
    if let Ok(types) = load::parse::<TypesFile>(&extra, text) {
        loaded.types.push(LoadedTypes { file: extra, text: text.into(), types });
    }
    match ir::build(&loaded) {
        Ok(api) => match emit::emit(&api, &wechatpay_codegen::Options::default()) {
            Ok(_) => {}
            Err(Error::Spec(errors)) => {
                let _ = errors.iter().map(ToString::to_string).count();
            }
            Err(e) => panic!("a spec that validates did not emit: {e}"),
        },
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
