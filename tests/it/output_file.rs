//! `--output` and running unattended: the report file is written
//! atomically and survives being killed mid-run, a run writes nothing but
//! its report and log, and odd paths (spaces, backslashes, non-UTF-8) work.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

/// The names in a directory, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn output_gets_exactly_what_stdout_would_and_replaces_the_old_report() {
    let [t, a] = trust();
    let sample = testdata("sample-wsusscn2.cab");
    let dir = tempfile::tempdir().unwrap();
    for format in ["human", "json", "jsonl", "csv"] {
        let target = dir.path().join(format!("report.{format}"));
        std::fs::write(
            &target,
            "an older, longer report that must disappear entirely\n".repeat(50),
        )
        .unwrap();
        let to_stdout = run([
            "check",
            &t,
            &a,
            "--format",
            format,
            sample.to_str().unwrap(),
        ]);
        let to_file = run([
            "check",
            &t,
            &a,
            "--format",
            format,
            "--output",
            target.to_str().unwrap(),
            sample.to_str().unwrap(),
        ]);
        assert_eq!((to_file.code, to_stdout.code), (1, 1));
        assert_eq!(to_file.stdout, "", "{format}: nothing on stdout");
        // A CSV file, and only a CSV file, starts with a UTF-8 BOM, so that
        // Excel reads its titles as UTF-8; stdout never gets one.
        let bom = if format == "csv" { "\u{feff}" } else { "" };
        assert!(!to_stdout.stdout.starts_with('\u{feff}'), "{format}");
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            format!("{bom}{}", to_stdout.stdout),
            "{format}"
        );
    }
    assert_eq!(
        names(dir.path()),
        ["report.csv", "report.human", "report.json", "report.jsonl"]
    );
}

#[test]
fn errors_go_to_output_as_a_document_for_json_and_never_colour_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("r.json");
    let r = run([
        "check",
        "--format",
        "json",
        "--output",
        target.to_str().unwrap(),
        "/no/such.cab",
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(doc["error"]["kind"], "io");
    assert!(r.stderr.starts_with("wsuscat: error: "));
    // --color auto never colours a file, even if stdout were a terminal.
    let [t, a] = trust();
    let human = dir.path().join("r.txt");
    run([
        "check",
        &t,
        &a,
        "--output",
        human.to_str().unwrap(),
        testdata("sample-wsusscn2.cab").to_str().unwrap(),
    ]);
    assert!(!std::fs::read_to_string(&human).unwrap().contains('\x1b'));
}

#[test]
fn an_unwritable_output_is_exit_2_and_leaves_nothing() {
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing dir").join("r.json");
    let r = run([
        "check",
        &t,
        &a,
        "--format",
        "json",
        "--output",
        target.to_str().unwrap(),
        testdata("sample-wsusscn2.cab").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot write the report"), "{}", r.stderr);
    assert!(names(dir.path()).is_empty());
}

#[test]
fn paths_with_spaces_and_backslashes_work() {
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    // On Unix a backslash is an ordinary character in a name; to a Windows
    // exe (under Wine too) it separates directories, so names carry none
    // there. Either way the path must reach the file intact.
    let windows = exe_is_windows();
    let sub = dir
        .path()
        .join("Update Catalog")
        .join(if windows { "x y" } else { r"C:\WSUS\x y" });
    std::fs::create_dir_all(&sub).unwrap();
    let cab = sub.join("wsus scn2 (copy).cab");
    std::fs::copy(testdata("sample-wsusscn2.cab"), &cab).unwrap();
    let report = sub.join("report file.json");
    let log = sub.join(if windows {
        "log file.log"
    } else {
        r"log\ file.log"
    });
    let r = run([
        "check",
        &t,
        &a,
        "--format",
        "json",
        "--output",
        report.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
        cab.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(doc["catalog"]["path"], cab.to_str().unwrap());
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("wsus scn2 (copy).cab"));
}

#[cfg(unix)]
#[test]
fn non_utf8_file_names_are_reported_not_panicked_on() {
    if !unix_exe("non-UTF-8 file names") {
        return;
    }
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    let odd = |s: &[u8]| dir.path().join(OsStr::from_bytes(s));
    let cab = odd(b"catalog-\xff\xfe.cab");
    std::fs::copy(testdata("sample-wsusscn2.cab"), &cab).unwrap();
    let report = odd(b"report-\xff.json");
    let log = odd(b"log-\xff.log");
    let out = command()
        .args(["check", &t, &a, "--format", "json", "--output"])
        .arg(&report)
        .arg("--log")
        .arg(&log)
        .arg(&cab)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let path = doc["catalog"]["path"].as_str().unwrap();
    assert!(path.ends_with("catalog-\u{fffd}\u{fffd}.cab"), "{path}");
    assert!(std::fs::metadata(&log).unwrap().len() > 0);
    // Missing, with a non-UTF-8 name: an error naming it, exit 2.
    let out = command()
        .arg("check")
        .arg(odd(b"gone-\xff.cab"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("gone-\u{fffd}.cab") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

/// A scheduled task's run: empty home, temp dir and working directory, no
/// stdin. Everything it writes must land in the report's and log's directory.
#[test]
fn a_run_writes_nothing_but_its_report_and_log_and_never_reads_stdin() {
    if std::env::var_os("WSUSCAT_TEST_RUNNER").is_some_and(|r| !r.is_empty()) {
        // Wine writes its own files into HOME and TMPDIR (wine-*, .local):
        // what the exe writes cannot be told apart from them.
        skip("what a run writes into HOME, TMPDIR and its directory: not measurable through a runner");
        return;
    }
    let [t, a] = trust();
    let sandbox = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = ["home", "tmp", "cwd", "out"]
        .iter()
        .map(|d| sandbox.path().join(d))
        .collect();
    for d in &dirs {
        std::fs::create_dir(d).unwrap();
    }
    let (home, tmp, cwd, out_dir) = (&dirs[0], &dirs[1], &dirs[2], &dirs[3]);
    for subcommand in ["check", "verify"] {
        let status = command()
            .args([subcommand, &t, &a, "--format", "jsonl", "--output"])
            .arg(out_dir.join(format!("{subcommand}.jsonl")))
            .arg("--log")
            .arg(out_dir.join("wsuscat.log"))
            .arg(testdata("sample-wsusscn2.cab"))
            .current_dir(cwd)
            .env("HOME", home)
            .env("USERPROFILE", home)
            .env("TMPDIR", tmp)
            .env("TEMP", tmp)
            .env("TMP", tmp)
            .env("XDG_CACHE_HOME", home)
            .env("XDG_CONFIG_HOME", home)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(status.stdout.is_empty());
        assert!(matches!(status.status.code(), Some(0 | 1)), "{subcommand}");
    }
    for d in [home, tmp, cwd] {
        assert!(names(d).is_empty(), "{} holds {:?}", d.display(), names(d));
    }
    assert_eq!(
        names(out_dir),
        ["check.jsonl", "verify.jsonl", "wsuscat.log"]
    );
}

/// Kills `wsuscat check --output` at many points of its run and checks that
/// the report is then absent or complete, never partial, and that no temp
/// file is left beside it.
#[cfg(unix)]
#[test]
fn killing_a_run_never_leaves_a_partial_report_or_a_temp_file() {
    if !unix_exe("SIGINT and SIGTERM at points of a run") {
        return;
    }
    use std::time::{Duration, Instant};
    let work = tempfile::tempdir().unwrap();
    let cab = work.path().join("big.cab");
    let g = run([
        "generate",
        "--updates",
        "40000",
        "--outer",
        "mszip",
        "--inner",
        "mszip",
        "--inject",
        "1000500=PreDeploymentCheck",
        "-o",
        cab.to_str().unwrap(),
    ]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    let args = |target: &Path| -> Vec<String> {
        vec![
            "check".into(),
            "--allow-unsigned".into(),
            "--threads".into(),
            "1".into(),
            "--format".into(),
            "json".into(),
            "--output".into(),
            target.display().to_string(),
            cab.display().to_string(),
        ]
    };
    // The complete report, and how long a run takes here, so that the kills
    // land across the whole run on a fast machine or a slow one.
    let reference = work.path().join("reference.json");
    let started = Instant::now();
    let r = run(args(&reference));
    let full = started.elapsed();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let complete = std::fs::read(&reference).unwrap();
    serde_json::from_slice::<serde_json::Value>(&complete).expect("the reference is whole JSON");

    let mut outcomes = Vec::new();
    for signal in ["KILL", "TERM", "INT"] {
        for tenth in 0..=12u32 {
            let dir = tempfile::tempdir_in(work.path()).unwrap();
            let target = dir.path().join("report.json");
            let mut child = command()
                .args(args(&target))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(full * tenth / 10 + Duration::from_millis(u64::from(tenth % 3)));
            let _ = Command::new("kill")
                .args(["-s", signal, &child.id().to_string()])
                .stderr(Stdio::null())
                .status();
            let status = child.wait().unwrap();
            let left = names(dir.path());
            match std::fs::read(&target) {
                Ok(bytes) => assert_eq!(bytes, complete, "{signal} at {tenth}/10: partial report"),
                Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
            }
            // SIGKILL cannot be caught: landing between the temp file's
            // creation and its rename (the write and fsync, a few ms under
            // disk load) it leaves the temp file, as docs/user-guide.md says;
            // never a partial report. Every other signal leaves nothing.
            let temp = format!(".report.json.wsuscat-tmp-{}", child.id());
            let stray: Vec<&String> = left
                .iter()
                .filter(|n| *n != "report.json" && !(signal == "KILL" && **n == temp))
                .collect();
            assert!(stray.is_empty(), "{signal} at {tenth}/10 left {left:?}");
            if signal != "KILL" {
                // Caught: the documented 130; or the run had finished (1);
                // or it had not yet installed its handler (killed).
                assert!(
                    matches!(status.code(), Some(130 | 1) | None),
                    "{signal} at {tenth}/10: {status:?}"
                );
            }
            outcomes.push((signal, status.code(), left.len()));
        }
    }
    // The test is only worth something if some kills landed mid-run.
    assert!(
        outcomes
            .iter()
            .any(|(s, c, _)| *s != "KILL" && *c == Some(130)),
        "no signal arrived before the run ended: {outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|(s, c, _)| *s == "KILL" && c.is_none()),
        "no SIGKILL arrived before the run ended: {outcomes:?}"
    );
}
