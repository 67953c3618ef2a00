//! wsuscat: preflight checks for Microsoft's offline update catalog
//! (wsusscn2.cab).
//!
//! The library opens the catalog directly (no extraction to disk), streams
//! package.xml in parallel, and checks every `<Update>` against profiles of
//! what a consumer accepts. It knows nothing about command lines, terminals
//! or exit codes: it returns data (a [`CheckReport`], a [`VerifyReport`], …)
//! or a typed [`Error`] with a [`Place`] and, where there is one, its cause
//! as [`std::error::Error::source`].
//!
//! ```no_run
//! use std::path::Path;
//! use wsuscat::{check, CheckOptions, Profile, Verdict};
//!
//! let options = CheckOptions {
//!     profiles: vec![Profile::load(wsuscat::DEFAULT_PROFILE)?],
//!     ..CheckOptions::default()
//! };
//! let report = check(Path::new("wsusscn2.cab"), &options)?;
//! if report.verdict == Verdict::Incompatible {
//!     for finding in &report.findings {
//!         println!("{} breaks: {}", finding.revision_id, finding.message);
//!     }
//! }
//! # Ok::<(), wsuscat::Error>(())
//! ```
//!
//! # Layers
//!
//! The source tree is the layer map, bottom to top; a module uses only the
//! layers below it (`.ci/structure.py` checks this, and docs/design.md holds
//! the map it regenerates):
//!
//! - `cab`: the Microsoft Cabinet format (CFHEADER, CFFOLDER, CFFILE, CFDATA,
//!   MSZIP, LZX);
//! - `catalog`: what a catalog holds (the outer cabinet, index.xml, the
//!   package.xml stream, shards, fragments, names, a compact inventory);
//! - `trust`: whether the file is intact and genuinely signed (preflight,
//!   Authenticode);
//! - `rules`: what a consumer accepts, and what a check finds (profiles,
//!   vocabulary, constraints, findings, baselines);
//! - `commands`: check, verify, info, list, show, diff, install, fetch (with
//!   the `fetch` feature, on by default), generate;
//! - [`report`]: every output format for every command.
//!
//! The supported API is what this page re-exports, plus [`report`]. The
//! layer modules are public only so that the `wsuscat` binary, the
//! integration tests, the fuzzers and the examples can reach internals; they
//! are hidden from the documentation and may change in any release.
//!
//! `missing_docs` does not look inside hidden modules, so CI also checks the
//! crate with `--cfg wsuscat_document_internals` (which shows them): every
//! public item, internals included, has its doc.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

#[cfg_attr(not(wsuscat_document_internals), doc(hidden))]
pub mod cab;
#[cfg_attr(not(wsuscat_document_internals), doc(hidden))]
pub mod catalog;
#[cfg_attr(not(wsuscat_document_internals), doc(hidden))]
pub mod commands;
mod error;
pub mod report;
#[cfg_attr(not(wsuscat_document_internals), doc(hidden))]
pub mod rules;
#[cfg_attr(not(wsuscat_document_internals), doc(hidden))]
pub mod trust;

pub use error::{Error, ErrorKind, Place, Result};

// Reading a catalog.
pub use catalog::package::scan::{Progress as ScanProgress, ScanOptions};
pub use catalog::update::Kind;
pub use catalog::{Catalog, CatalogIdentity};

// Trust.
pub use trust::integrity::{SignaturePolicy, SignatureStatus, SignatureSummary, TrustOptions};
pub use trust::signature::Error as SignatureError;

// Rules and findings.
pub use rules::baseline::{to_toml as baseline_toml, BaselineOptions};
pub use rules::constraints::{unix_seconds, Constraints, Version};
pub use rules::finding::{CatalogFinding, Finding, UpdateRef, Verdict};
pub use rules::profile::{Profile, Severity, DEFAULT_PROFILE};

// Commands, each with its options and report.
pub use commands::check::{check, CheckOptions, CheckProgress, CheckReport, Counts, ProfileRef};
pub use commands::diff::{diff, DiffOptions, DiffReport};
#[cfg(feature = "fetch")]
pub use commands::fetch::{
    fetch, FetchEvent, FetchObserver, FetchOptions, FetchReport, FetchStatus, Fetched, DEFAULT_URL,
};
pub use commands::info::{info, InfoOptions, InfoReport};
pub use commands::install::{
    install, Cleanup, InstallOptions, Installation, Kept, KeptBy, Outcome as InstallOutcome,
};
pub use commands::list::{list, Filters, ListOptions, ListReport, Row};
pub use commands::show::{show, ShowOptions, ShowReport, Target};
pub use commands::verify::{verify, VerifyOptions, VerifyProgress, VerifyReport};
