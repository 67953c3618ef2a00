//! The commands: each one runs the layers below it over a catalog and
//! returns its report as data.
//!
//! One module per command (`check`, `verify`, `info`, `list`, `show`,
//! `diff`, `install`, and `generate`, which writes synthetic catalogs for
//! tests and benchmarks). Commands do not call each other: what two of them
//! share belongs to a layer below, and `install`, which gates on check and
//! verify, takes them as its caller's judge. How a report is shown is the report layer's
//! job, and argv and exit codes are the binary's.

pub mod check;
pub mod diff;
pub mod generate;
pub mod info;
pub mod install;
pub mod list;
pub mod show;
pub mod verify;
