//! The generator: `spec/` YAML → typed Rust client.
//!
//! One pipeline, one module per stage:
//! [`load`] reads and parses the files (errors name file, line and field) →
//! [`ir`] validates and resolves them into the intermediate representation →
//! [`share`] finds the types of identical shape, emitted once and aliased after →
//! [`emit`] turns the IR into tokens (`quote!`) and formats them (`prettyplease`) →
//! [`output`] writes the files only when they change, or checks that they are current.
//! Every identifier is made by [`naming`]; every spec type is mapped to Rust in [`ir`].
//!
//! The first two stages and the naming rules are the crate `wechatpay-model` (shared with the
//! sandbox and the CLI, which need no emitter), re-exported here. The importer, which converts
//! the public Swagger description into `spec/`, is maintainer tooling: the crate `wechatpay-import`.

#![forbid(unsafe_code)]

pub mod emit;
pub mod output;
pub mod share;

pub use wechatpay_model::{error, ir, load, naming, par, spec};

pub use emit::{generate, Options, Output};
pub use error::{Error, SpecError};
