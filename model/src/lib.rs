//! The spec model: the format of `spec/**/*.yaml` ([`spec`]), reading the folder ([`load`]:
//! errors with file, line and column), validating it into the intermediate representation
//! ([`ir`]: the one type mapping, the URL tree), and every name the generated code uses
//! ([`naming`]).
//!
//! Used by the generator (`wechatpay-codegen`, which adds the emitter and the importer), and by
//! the sandbox and the CLI, which read the spec at run time and so need none of the emitter's
//! dependencies (syn, prettyplease).

#![forbid(unsafe_code)]

pub mod error;
pub mod ir;
pub mod load;
pub mod naming;
#[doc(hidden)]
pub mod par;
pub mod spec;

pub use error::{Error, SpecError};
