//! wsuscat: preflight checks for Microsoft's offline update catalog
//! (wsusscn2.cab).
//!
//! The library opens the catalog directly (no extraction to disk), streams
//! package.xml in parallel, and checks every `<Update>` against profiles of
//! what a consumer accepts. It knows nothing about command lines, terminals
//! or exit codes: it returns data ([`check::CheckReport`]) or a typed
//! [`Error`] with a [`Place`].

pub mod baseline;
pub mod cab;
pub mod catalog;
pub mod check;
pub mod constraints;
pub mod diff;
pub mod error;
pub mod explain;
pub mod finding;
pub mod fragment;
pub mod generator;
pub mod index;
pub mod info;
pub mod integrity;
pub mod inventory;
pub mod list;
pub mod package;
pub mod profile;
pub mod report;
pub mod shards;
pub mod show;
pub mod signature;
pub mod update;
pub mod verify;
pub mod vocab;

pub use error::{Error, ErrorKind, Place, Result};
