//! Is the file intact, and is it genuinely the publisher's?
//!
//! The layer above catalog reading and below the rules: [`integrity`] runs
//! the O(1) size preflight and hashes the file once for its SHA-256 identity
//! and the Authenticode digest together; [`signature`] parses and verifies
//! that Authenticode signature against trust anchors. Nothing in a catalog
//! is believed before these pass.

pub mod integrity;
pub mod signature;

pub use signature::hex;
