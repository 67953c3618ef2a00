//! wsuscat: preflight checks for Microsoft's offline update catalog
//! (wsusscn2.cab).
//!
//! The library opens the catalog directly (no extraction to disk), streams
//! package.xml in parallel, and checks every `<Update>` against profiles of
//! what a consumer accepts. It knows nothing about command lines, terminals
//! or exit codes: it returns data ([`check::CheckReport`]) or a typed
//! [`Error`] with a [`Place`].

pub mod cab;
pub mod catalog;
pub mod commands;
pub mod error;
pub mod report;
pub mod rules;
pub mod trust;

pub use error::{Error, ErrorKind, Place, Result};
