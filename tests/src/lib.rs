
pub mod keys;
pub mod mock;
