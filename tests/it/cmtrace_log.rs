//! `--log`: every line the tool writes must parse with a strict pattern of
//! the CMTrace format, through rollovers, with the Windows sign of the bias,
//! and a message must never break its line.

use std::path::Path;

use crate::common::*;

/// One CMTrace line, exactly as docs/cmtrace-log.md specifies it (the CRLF
/// is split off by the caller).
fn pattern() -> regex::Regex {
    regex::Regex::new(concat!(
        r#"^<!\[LOG\[(?P<message>[^\r\n]*)\]LOG\]!>"#,
        r#"<time="(?P<h>[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}(?P<bias>[+-]\d{3})" "#,
        r#"date="(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])-\d{4}" "#,
        r#"component="wsuscat" context="" type="(?P<type>[123])" thread="(?P<thread>\d+)" file="">$"#,
    ))
    .unwrap()
}

pub(crate) struct Line {
    pub(crate) message: String,
    pub(crate) kind: u8,
    bias: String,
    thread: u64,
}

/// Every line of a log file, each checked against the pattern.
pub(crate) fn parse(path: &Path) -> Vec<Line> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.ends_with("\r\n"),
        "{}: lines end in CRLF",
        path.display()
    );
    let re = pattern();
    text.split_terminator("\r\n")
        .map(|l| {
            assert_eq!(l.matches("]LOG]!>").count(), 1, "one message end: {l}");
            let c = re
                .captures(l)
                .unwrap_or_else(|| panic!("{}: not a CMTrace line: {l:?}", path.display()));
            Line {
                message: c["message"].to_string(),
                kind: c["type"].parse().unwrap(),
                bias: c["bias"].to_string(),
                thread: c["thread"].parse().unwrap(),
            }
        })
        .collect()
}

fn check_logged(log: &Path, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = command();
    cmd.arg("check")
        .args(trust())
        .arg("--log")
        .arg(log)
        .args(extra);
    cmd.arg(testdata("sample-wsusscn2.cab"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn a_check_logs_start_identity_each_finding_verdict_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("wsuscat.log");
    let out = check_logged(&log, &["--quiet", "--sha256"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "--quiet");
    let lines = parse(&log);
    let expected = [
        (1, "wsuscat 0.1.0 started: "),
        (1, "catalog "),
        (1, "signature verified: "),
        (1, "profiles: configmgr2007-legacy"),
        (3, "finding: "),
        (3, "verdict INCOMPATIBLE: "),
        (2, "exit code 1 (incompatible)"),
    ];
    assert_eq!(lines.len(), expected.len());
    for (l, (kind, prefix)) in lines.iter().zip(expected) {
        assert_eq!(l.kind, kind, "{}", l.message);
        assert!(l.message.starts_with(prefix), "{} / {prefix}", l.message);
    }
    assert!(lines[0].message.contains(" check "), "{}", lines[0].message);
    let sha256 = {
        use sha2::Digest;
        let bytes = std::fs::read(testdata("sample-wsusscn2.cab")).unwrap();
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert!(lines[1].message.contains(&sha256), "{}", lines[1].message);
    assert!(lines[4].message.contains("RevisionId 1293995"));
    assert!(lines[4]
        .message
        .contains("DeploymentAction=\"PreDeploymentCheck\""));
    assert_eq!(lines[6].message, "exit code 1 (incompatible)");
    assert!(lines.iter().all(|l| l.thread == lines[0].thread));
    // A second run appends.
    check_logged(&log, &["--quiet"], &[]);
    assert_eq!(parse(&log).len(), 14);
}

#[test]
fn entry_types_follow_severity_and_errors_are_logged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("wsuscat.log");
    let [t, a] = trust();
    // Clean: all info, exit 0.
    let r = run([
        "check",
        &t,
        &a,
        "--log",
        log.to_str().unwrap(),
        "--quiet",
        testdata("clean-wsusscn2.cab").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0);
    let lines = parse(&log);
    assert!(lines.iter().all(|l| l.kind == 1), "a clean run is all info");
    assert_eq!(lines.last().unwrap().message, "exit code 0 (compatible)");
    // A corrupt catalog: the error and exit code 3, both type 3.
    std::fs::remove_file(&log).unwrap();
    let r = run([
        "check",
        &t,
        &a,
        "--log",
        log.to_str().unwrap(),
        testdata("broken-truncated.cab").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 3);
    let lines = parse(&log);
    let tail: Vec<(u8, &str)> = lines[1..]
        .iter()
        .map(|l| (l.kind, l.message.as_str()))
        .collect();
    assert_eq!(tail.len(), 2, "start, error, exit");
    assert_eq!(tail[0].0, 3);
    assert!(
        tail[0].1.starts_with("error: ") && tail[0].1.contains("truncated"),
        "{}",
        tail[0].1
    );
    assert_eq!(tail[1], (3, "exit code 3 (unusable catalog)"));
    // verify logs too.
    std::fs::remove_file(&log).unwrap();
    let r = run([
        "verify",
        &t,
        &a,
        "--log",
        log.to_str().unwrap(),
        "--quiet",
        testdata("clean-wsusscn2.cab").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0);
    let lines = parse(&log);
    assert!(lines
        .iter()
        .any(|l| l.message.starts_with("verdict INTACT")));
}

#[test]
fn bias_is_utc_minus_local_with_the_windows_sign() {
    let dir = tempfile::tempdir().unwrap();
    for (offset, bias) in [
        ("-300", "+300"),
        ("120", "-120"),
        ("0", "+000"),
        ("330", "-330"),
    ] {
        let log = dir.path().join(format!("tz{offset}.log"));
        check_logged(
            &log,
            &["--quiet"],
            &[("WSUSCAT_LOG_TZ_OFFSET_MINUTES", offset)],
        );
        let lines = parse(&log);
        assert!(!lines.is_empty());
        for l in lines {
            assert_eq!(l.bias, bias, "UTC offset {offset} minutes");
        }
    }
}

#[test]
fn rollover_renames_to_lo_underscore_and_every_line_still_parses() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("wsuscat.log");
    let rolled = dir.path().join("wsuscat.lo_");
    let max = 1500u64;
    let mut runs = 0;
    // Each run writes about 1.3 KB, so every run rolls over at least once.
    while runs < 5 {
        let out = check_logged(&log, &["--quiet", "--log-max-bytes", &max.to_string()], &[]);
        assert_eq!(out.status.code(), Some(1));
        runs += 1;
    }
    assert!(rolled.exists(), "the previous log was kept as .lo_");
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["wsuscat.lo_", "wsuscat.log"],
        "nothing else is left"
    );
    for path in [&log, &rolled] {
        let size = std::fs::metadata(path).unwrap().len();
        assert!(
            size <= max,
            "{} is {size} bytes, over {max}",
            path.display()
        );
        assert!(!parse(path).is_empty());
    }
    let last = parse(&log);
    assert_eq!(last.last().unwrap().message, "exit code 1 (incompatible)");
    // The .lo_ holds the lines just before the .log's first one: together
    // they are whole entries in order, with nothing cut.
    let before = parse(&rolled);
    assert!(before.iter().chain(&last).all(|l| !l.message.is_empty()));
}

#[test]
fn a_message_with_the_end_marker_or_line_breaks_stays_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("hostile.toml");
    std::fs::write(
        &profile,
        r#"name = "hostile"
description = "ends ]LOG]!> here"
[[rule]]
name = "da"
attribute = "DeploymentAction"
allow_absent = true
allowed = ["Install", "Bundle", "Evaluate"]
severity = "breaks"
message = "first ]LOG]!><time=\"\r\nsecond line\nthird"
"#,
    )
    .unwrap();
    let log = dir.path().join("wsuscat.log");
    let out = check_logged(
        &log,
        &["--quiet", "--profile", profile.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = parse(&log);
    let finding = lines
        .iter()
        .find(|l| l.message.starts_with("finding"))
        .expect("a finding entry");
    assert!(
        finding
            .message
            .ends_with("first ]LOG]!&gt;<time=\"  second line third"),
        "{}",
        finding.message
    );
}

#[test]
fn a_log_that_cannot_be_written_fails_the_run_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the log file should be.
    let out = check_logged(dir.path(), &["--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "io");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the log"));
}
