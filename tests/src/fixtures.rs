//! The generated clients of the fixture specs in `tests/fixtures/<name>/spec/`, compiled as part
//! of this crate: `build.rs` generates each into `$OUT_DIR` at build time, and declares it here
//! as `fixtures::<name>` with its own `Client`. Their reviewed copy is the insta snapshots of
//! `tests/snapshots.rs`, made from the same files.

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
