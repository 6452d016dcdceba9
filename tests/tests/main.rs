//! The integration tests of the SDK as one test binary: the whole API (every feature) is linked
//! once instead of once per file, which is most of what a test run costs in time and disk.
//!
//! Each module is what used to be its own test file; run one with
//! `cargo test -p wechatpay-tests --test integration <module>::` (`snapshots::`, `e2e_v2::`, …).
//! Every test starts its own servers on 127.0.0.1 port 0 and sets no process-wide state, so they
//! run in parallel in one process.

mod bills;
mod e2e;
mod e2e_fixtures;
mod e2e_hooks;
mod e2e_mock;
mod e2e_sandbox;
mod e2e_security;
mod e2e_transport;
mod e2e_v2;
mod fidelity;
mod payloads;
mod properties;
mod snapshots;
mod whole_api;
