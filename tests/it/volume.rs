//! Hostile volume (issue 13): a package.xml of ten million minimal
//! `<Update RevisionId=…/>` elements, generated here and never committed.
//!
//! One CAB folder holds at most 2 GiB, so this is about the most updates a
//! catalog can claim. Every command must either finish under 256 MB or stop
//! with exit 3 and a named bound; none may follow the claim into gigabytes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wsuscat::cab::folder::Compression;
use wsuscat::commands::generate;

use crate::common::memory;

/// Updates in the hostile package.xml.
const UPDATES: u32 = 10_000_000;
/// What any command may hold on hostile input (issue 13's scope).
const HOSTILE_MB: u64 = 256;

/// The hostile catalog, built once per test run (about 300 MB of XML,
/// MSZIP-compressed to a few MB).
fn hostile_catalog() -> &'static Path {
    static CAB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = CAB.get_or_init(|| {
        let mut xml = Vec::with_capacity(UPDATES as usize * 32 + 512);
        xml.extend_from_slice(ROOT);
        for rev in 1..=UPDATES {
            write!(xml, "<Update RevisionId=\"{rev}\"/>").expect("write to a Vec");
        }
        xml.extend_from_slice(b"</Updates><FileLocations></FileLocations></OfflineSyncPackage>");
        let cab = generate::catalog_from_package_xml(&xml, Compression::MsZip);
        drop(xml);
        crate::common::temp_file("hostile-10m.cab", &cab)
    });
    path
}

/// Runs `command` on a hostile catalog (twice for `diff`) and holds it to
/// the hostile bound: it either reads everything (exit 0 or 1) or stops at a
/// named bound (exit 3, one line naming it), and never holds more than
/// [`HOSTILE_MB`].
/// A catalog of a million updates, each with its own attribute name, child
/// element and DeploymentAction value (about 90 MB of XML): every
/// vocabulary, census and finding list would grow with it.
fn hostile_vocabulary_catalog() -> &'static Path {
    static CAB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = CAB.get_or_init(|| {
        let mut xml = Vec::with_capacity(1_000_000 * 80 + 512);
        xml.extend_from_slice(ROOT);
        for rev in 1..=1_000_000u32 {
            write!(
                xml,
                "<Update RevisionId=\"{rev}\" a{rev}=\"1\" DeploymentAction=\"v{rev}\"><X{rev}/></Update>"
            )
            .expect("write to a Vec");
        }
        xml.extend_from_slice(b"</Updates><FileLocations></FileLocations></OfflineSyncPackage>");
        let cab = generate::catalog_from_package_xml(&xml, Compression::MsZip);
        drop(xml);
        crate::common::temp_file("hostile-vocabulary.cab", &cab)
    });
    path
}

/// The XML declaration, the root and `<Updates>`, as real catalogs open.
const ROOT: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\
    <OfflineSyncPackage xmlns=\"http://schemas.microsoft.com/msus/2004/02/OfflineSync\" \
    MinimumClientVersion=\"5.8.0.2678\" PackageId=\"{9464fd3a-d6ff-47e6-9d49-306645a3f5d0}\" \
    PackageVersion=\"1.1\" ProtocolVersion=\"1.0\" CreationDate=\"2026-05-12T08:51:08Z\" \
    SourceId=\"{1034c75d-19b9-4a68-ba08-646895d4c27d}\"><Updates>";

fn within_bound(command: &[&str]) {
    within_bound_on(hostile_catalog(), command);
}

fn within_bound_on(cab: &Path, command: &[&str]) {
    if !memory::measurable() {
        return;
    }
    let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
    args.push("--allow-unsigned".into());
    args.insert(1, cab.display().to_string());
    if command[0] == "diff" {
        args.insert(1, cab.display().to_string());
    }
    let m = memory::run(&args);
    let said = m.stderr.trim_end();
    eprintln!(
        "{}: exit {}, peak {} MB: {said}",
        command.join(" "),
        m.code,
        m.peak_mb()
    );
    assert!(
        m.peak_mb() <= HOSTILE_MB,
        "{} held {} MB on the hostile catalog (bound {HOSTILE_MB} MB); stderr: {said}",
        command.join(" "),
        m.peak_mb()
    );
    match m.code {
        0 | 1 => {}
        3 => {
            assert_eq!(said.lines().count(), 1, "one line: {said}");
            assert!(
                said.contains("bound of") && said.contains("(MAX_"),
                "exit 3 must name the bound it stopped at: {said}"
            );
            assert!(
                said.contains(&cab.display().to_string()),
                "names the file: {said}"
            );
        }
        other => panic!("{}: exit {other}: {said}", command.join(" ")),
    }
}

/// Was: `list` was killed at 3 GB after 82 s.
#[test]
fn hostile_10m_updates_list() {
    within_bound(&["list"]);
}

/// Was: `info` passed 1.5 GB.
#[test]
fn hostile_10m_updates_info() {
    within_bound(&["info"]);
}

/// Was: `show` passed 1.5 GB.
#[test]
fn hostile_10m_updates_show() {
    within_bound(&["show", "5000000"]);
}

/// Was: `diff` passed 1.5 GB.
#[test]
fn hostile_10m_updates_diff() {
    within_bound(&["diff"]);
}

/// Two catalogs that share no update: every record of each becomes an item
/// of the report, and each item is named from the shards after. Was: a
/// generated pair of unrelated 408k-update catalogs held 323 MB (JSON, with
/// names) and the report grew without a bound; now the items count against
/// MAX_RECORD_BYTES with their share of the names, and such a pair stops
/// there (exit 3) while a 136k pair still fits.
#[test]
fn hostile_unrelated_pair_diff() {
    if !memory::measurable() {
        return;
    }
    let make = |name: &str, prefix: u32| {
        let mut xml = Vec::with_capacity(UNRELATED * 80 + 512);
        xml.extend_from_slice(ROOT);
        for rev in 1..=UNRELATED as u32 {
            write!(
                xml,
                "<Update UpdateId=\"{prefix:08x}-0000-4000-8000-{rev:012x}\" RevisionId=\"{rev}\"/>"
            )
            .expect("write to a Vec");
        }
        xml.extend_from_slice(b"</Updates><FileLocations></FileLocations></OfflineSyncPackage>");
        let cab = generate::catalog_from_package_xml(&xml, Compression::MsZip);
        crate::common::temp_file(name, &cab)
    };
    let (_old_dir, old) = make("old.cab", 0xa);
    let (_new_dir, new) = make("new.cab", 0xb);
    let m = memory::run(&[
        "diff".to_string(),
        "--allow-unsigned".into(),
        "--format".into(),
        "json".into(),
        old.display().to_string(),
        new.display().to_string(),
    ]);
    let said = m.stderr.trim_end();
    eprintln!(
        "diff of an unrelated pair: exit {}, peak {} MB: {said}",
        m.code,
        m.peak_mb()
    );
    assert!(
        m.peak_mb() <= HOSTILE_MB,
        "held {} MB (bound {HOSTILE_MB} MB): {said}",
        m.peak_mb()
    );
    assert_eq!(m.code, 3, "stops at the bound: {said}");
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    assert!(
        said.contains("(MAX_RECORD_BYTES)") && said.contains("differences"),
        "names the bound and what reached it: {said}"
    );
    assert!(
        said.contains(&new.display().to_string()) && said.contains(&old.display().to_string()),
        "names both catalogs: {said}"
    );
}

/// Updates in each catalog of the unrelated pair: their records fit under
/// MAX_RECORD_BYTES (about 110 MB counted), their differences do not.
const UNRELATED: usize = 450_000;

/// The largest tables the format allows, in every nested cabinet: 65,535
/// members with 255-byte names each (about 17 MB of table, about 40 MB
/// parsed). `verify` parses each nested cabinet's tables while it verifies
/// it, at most `MAX_NESTED_AT_ONCE` (4) at once whatever `--threads` says;
/// here the members are one byte each, so each verifier ends soon after
/// its table and few overlap (measured: 160 MB with 4 verifiers, 163 MB
/// with 8). The test holds the hostile bound on the most table a catalog
/// can make `verify` parse.
#[test]
fn hostile_nested_tables_verify() {
    if !memory::measurable() {
        return;
    }
    let (_, package_cab) = crate::common::small_catalog_parts(21, 30, 1);
    let mut shard = wsuscat::cab::writer::CabBuilder::new();
    shard.add_folder(Compression::None);
    for i in 0..65_535u32 {
        shard.add_file(&format!("{i:0>255}"), b"x");
    }
    let shard = shard.finish();
    let mut outer = wsuscat::cab::writer::CabBuilder::new();
    outer.add_folder(Compression::None);
    outer.add_file("index.xml", &generate::index_xml(&[]));
    outer.add_file("package.cab", &package_cab);
    for i in 2..8 {
        outer.add_file(&format!("package{i}.cab"), &shard);
    }
    let (_dir, path) = crate::common::temp_file("tables.cab", &outer.finish());
    let m = memory::run(&[
        "verify".to_string(),
        "--allow-unsigned".into(),
        "--threads".into(),
        "16".into(),
        path.display().to_string(),
    ]);
    let said = m.stderr.trim_end();
    eprintln!(
        "verify of six largest tables: exit {}, peak {} MB: {said}",
        m.code,
        m.peak_mb()
    );
    assert_eq!(m.code, 0, "{said}");
    assert!(
        m.peak_mb() <= HOSTILE_MB,
        "held {} MB (bound {HOSTILE_MB} MB)",
        m.peak_mb()
    );
}

/// `check`, `verify` and `baseline` stream: they read all ten million.
#[test]
fn hostile_10m_updates_check_verify_baseline() {
    within_bound(&["check"]);
    within_bound(&["verify"]);
    let out = tempfile::tempdir().expect("tempdir");
    let toml = out.path().join("b.toml").display().to_string();
    within_bound(&["baseline", "-o", &toml]);
}

/// Was: `check` held 2.5 GB on two million flagged updates, `check
/// --baseline` 12 GB, `baseline` 4.9 GB and `info` 458 MB, every batch
/// keeping its own findings, vocabulary or census of names no real catalog
/// repeats so rarely.
#[test]
fn hostile_vocabulary_every_command() {
    let cab = hostile_vocabulary_catalog();
    let out = tempfile::tempdir().expect("tempdir");
    let toml = out.path().join("b.toml").display().to_string();
    let sample_baseline = out.path().join("sample.toml");
    let r = crate::common::run([
        "baseline".as_ref(),
        "--trust-anchor".as_ref(),
        crate::common::test_anchor().as_os_str(),
        "-o".as_ref(),
        sample_baseline.as_os_str(),
        crate::common::testdata("clean-wsusscn2.cab").as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sample_baseline = sample_baseline.display().to_string();
    for command in [
        &["check"][..],
        &["check", "--baseline", &sample_baseline],
        &["baseline", "-o", &toml],
        &["info"],
        &["list"],
        &["show", "5"],
        &["diff"],
        &["verify"],
    ] {
        within_bound_on(cab, command);
    }
}
