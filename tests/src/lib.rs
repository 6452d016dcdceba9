//! Test support: generated fixture clients, a WeChat Pay mock server on loopback, test keys.

pub mod fixtures;
pub mod keys;
pub mod mock;
