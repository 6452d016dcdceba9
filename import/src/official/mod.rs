//! Evidence from WeChat Pay's own SDK (maintainer tooling).
//!
//! WeChat Pay publishes a Go SDK whose `services/` folder is generated from the platform's
//! internal API definitions. Where the public Swagger description is silent or wrong (which
//! fields are required, which ones must be encrypted, which enum values exist), that code is the
//! best second opinion we have. This module reads it — as text, with a small line-based reader
//! of our own; no Go tooling and nothing of its code is copied here — into plain data the
//! importer and its checks can compare against: per package the structs (fields with JSON name,
//! type, required, encrypted, doc) and string enums (values in order), and per operation the
//! HTTP method, URL, path and query parameters, request, body and response types.
//!
//! Entry point: [`Sdk::read`] on the `services/` folder (a local reference copy, see
//! `shared/reference/wechatpay-go/SOURCE.md`).

mod go;

pub use go::{GoAlias, GoEnum, GoField, GoOperation, GoStruct, GoType, Package, Param, ReadError, Sdk, TypeRef};

mod reconcile;

pub use reconcile::{official_for, reconcile, url_key, Decision, Outcome, Repair, ADDED};
