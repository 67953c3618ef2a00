//! The commands: each one runs the layers below it over a catalog and
//! returns its report as data.
//!
//! One module per command (`check`, `verify`, `info`, `list`, `show`,
//! `diff`, and `generate`, which writes synthetic catalogs for tests and
//! benchmarks). Commands do not call each other: what two of them share
//! belongs to a layer below. How a report is shown is the report layer's
//! job, and argv and exit codes are the binary's.

pub mod check;
pub mod diff;
pub mod generate;
pub mod info;
pub mod list;
pub mod show;
pub mod verify;
