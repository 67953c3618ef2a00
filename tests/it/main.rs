//! wsuscat's integration tests, in one binary.
//!
//! One binary (as ripgrep and uv do) compiles the shared helpers in
//! `common/` once and links once, instead of once per test file. Each module
//! is one area; `regression` holds one test per bug, each naming what broke.
//!
//! Tests run the `wsuscat` executable through `common::command()`, which
//! `WSUSCAT_TEST_EXE` (another executable, such as a `wsuscat.exe`) and
//! `WSUSCAT_TEST_RUNNER` (a program to run it with, such as `wine`) can
//! redirect; see `common/mod.rs`.

mod common;

mod cab_crate;
mod cabextract;
mod check;
mod cmtrace_log;
mod command_output;
mod corpus;
mod diff;
mod drift;
mod error_sources;
mod event_log;
mod explain;
mod fetch;
mod install;
mod lzx;
mod lzx_encode;
mod mutation;
mod output_file;
mod real_shapes;
mod regression;
mod report_formats;
mod shell_integration;
mod signature_countersignature;
mod signature_digest;
mod signature_no_panic;
mod signature_osslsigncode;
mod signature_preflight;
mod signature_verify;
mod verify;
mod volume;
mod windows;
mod xml_conformance;
