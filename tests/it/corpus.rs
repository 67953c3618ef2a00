//! Real cabinets from public test suites (`../shared/cab-corpus`, path from
//! WSUSCAT_CORPUS), read by wsuscat and by cabextract: wherever cabextract
//! reads a file, wsuscat must read the same bytes; wherever it fails,
//! wsuscat must fail with an error, never a panic.

use std::io::Cursor;
use std::path::Path;

use crate::common::*;
use wsuscat::cab::Cabinet;
use wsuscat::ErrorKind;

/// Files cabextract reads only with help wsuscat deliberately does not give:
/// Quantum folders (no catalog uses Quantum), cabinet sets spanning several
/// files, and cabinets embedded at an offset inside another file
/// (cabextract searches for them). wsuscat must refuse these with a clear
/// error of the given kind.
const UNSUPPORTED: &[(&str, ErrorKind)] = &[
    (
        "cabextract-bugs/cve-2010-2801-qtm-flush.cab",
        ErrorKind::Unsupported,
    ),
    ("cabextract-cabs/mixed.cab", ErrorKind::Unsupported),
    ("cabd/mszip_lzx_qtm.cab", ErrorKind::Unsupported),
    ("cabd/search_basic.cab", ErrorKind::NotCabinet),
    ("cabextract-cabs/search.cab", ErrorKind::NotCabinet),
    ("cabd/search_tricky1.cab", ErrorKind::UnsupportedVersion),
    ("mscab/sample2-disk1.cab", ErrorKind::Unsupported),
    ("mscab/sample2-disk2.cab", ErrorKind::Unsupported),
    ("test_read_format_cab_multi.p1.cab", ErrorKind::Unsupported),
    ("test_read_format_cab_multi.p2.cab", ErrorKind::Unsupported),
    ("cabextract-cabs/split-1.cab", ErrorKind::Unsupported),
    ("cabextract-cabs/split-2.cab", ErrorKind::Unsupported),
    ("cabextract-cabs/split-3.cab", ErrorKind::Unsupported),
    ("cabextract-cabs/split-4.cab", ErrorKind::Unsupported),
    ("cabextract-cabs/split-5.cab", ErrorKind::Unsupported),
];

fn ours(path: &Path) -> Result<Vec<u8>, wsuscat::Error> {
    let bytes = std::fs::read(path).expect("read corpus file");
    let cab = Cabinet::parse(&mut Cursor::new(&bytes))?;
    let mut members = Vec::new();
    cab.stream_members(
        || Ok(Cursor::new(&bytes[..])),
        |_| true,
        |f, data| {
            members.push((f.clone(), data));
            Ok(())
        },
    )?;
    // cabextract -p writes members in file-table order.
    let mut out = Vec::new();
    for f in &cab.files {
        let (_, data) = members
            .iter()
            .find(|(m, _)| m == f)
            .expect("every member streamed");
        out.extend_from_slice(data);
    }
    Ok(out)
}

#[test]
fn every_corpus_cab_reads_as_cabextract_reads_it() {
    let Some(dir) = corpus() else { return };
    if !have_tool("cabextract") {
        return;
    }
    let mut files = files_with_ext(&dir, "cab");
    files.extend(files_with_ext(&dir, "ex_"));
    assert!(
        files.len() > 100,
        "corpus looks incomplete: {} files",
        files.len()
    );
    let (mut same, mut refused, mut both_failed) = (0, 0, 0);
    let mut problems = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&dir).unwrap().display().to_string();
        let result = std::panic::catch_unwind(|| ours(path));
        let ours = result.unwrap_or_else(|_| panic!("{rel}: wsuscat panicked"));
        let theirs = cabextract_p(path);
        if let Some((_, kind)) = UNSUPPORTED.iter().find(|(n, _)| rel.ends_with(n)) {
            match ours {
                Err(e) if e.kind() == *kind => refused += 1,
                other => problems.push(format!(
                    "{rel}: expected a {kind:?} error, got {:?}",
                    other.map(|b| b.len())
                )),
            }
            continue;
        }
        match (ours, theirs) {
            (Ok(a), Some(b)) => {
                if a == b {
                    same += 1;
                } else {
                    problems.push(format!("{rel}: bytes differ from cabextract"));
                }
            }
            (Err(_), None) => both_failed += 1,
            (Ok(_), None) => problems.push(format!("{rel}: cabextract fails but wsuscat reads it")),
            (Err(e), Some(_)) => {
                problems.push(format!("{rel}: cabextract reads it but wsuscat says: {e}"))
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("corpus: {same} read identically, {both_failed} rejected by both, {refused} refused as unsupported");
    assert!(same > 50 && both_failed > 20);
}

#[test]
fn check_on_any_corpus_file_never_crashes_and_never_passes_a_non_catalog() {
    let Some(dir) = corpus() else { return };
    for path in files_with_ext(&dir, "cab") {
        let rel = path.strip_prefix(&dir).unwrap().display().to_string();
        let r = run([
            "check",
            "--allow-unsigned",
            "--format",
            "json",
            path.to_str().unwrap(),
        ]);
        let is_catalog_shaped = rel.contains("nested");
        match r.code {
            3 => {
                assert_eq!(r.stderr.lines().count(), 1, "{rel}: {}", r.stderr);
                let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("error JSON");
                assert!(v["error"]["kind"].is_string(), "{rel}");
            }
            0 | 1 if is_catalog_shaped => {}
            other => panic!("{rel}: exit {other}: {}", r.stderr),
        }
    }
}
