//! The output formats, pinned: JSON against the documented schema,
//! snapshots of the human, JSON, jsonl and CSV reports, jsonl and CSV read
//! back with real parsers, and the exit-code table.

use crate::common::*;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/check-report.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema itself is valid")
}

#[test]
fn every_json_document_validates_against_the_schema() {
    let validator = schema();
    let mut files: Vec<_> = [
        "sample-wsusscn2.cab",
        "clean-wsusscn2.cab",
        "broken-truncated.cab",
        "broken-malformed-xml.cab",
        "broken-flipped-byte.cab",
        "broken-not-a-cab.cab",
        "broken-no-package-xml.cab",
    ]
    .iter()
    .map(|n| testdata(n))
    .collect();
    files.push("/no/such/file.cab".into());
    let [t, a] = trust();
    for f in files {
        let (_, doc) = check_json(&f, &[&t, &a]);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {}", f.display(), errors.join("; "));
    }
    // And the schema is strict enough to reject a wrong document.
    let (_, mut doc) = check_json(&testdata("sample-wsusscn2.cab"), &[&t, &a]);
    doc["findings"][0]["revision_id"] = serde_json::json!("1293995");
    assert!(
        !validator.is_valid(&doc),
        "a string revision_id must not validate"
    );
}

const ANCHOR: &str = "--trust-anchor=testdata/test-signing/test-root-ca.pem";

fn run_in_root(args: &[&str]) -> (i32, String) {
    let out = command().args(args).current_dir(root()).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn human_report_snapshot() {
    let (code, out) = run_in_root(&[
        "check",
        "--color",
        "never",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("sample_human", out);
}

#[test]
fn json_report_snapshot() {
    let (code, out) = run_in_root(&[
        "check",
        "--format",
        "json",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("sample_json", out);
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let (_, piped) = run_in_root(&["check", ANCHOR, "testdata/sample-wsusscn2.cab"]);
    assert!(!piped.contains('\x1b'), "no ANSI when stdout is a pipe");
    let (_, forced) = run_in_root(&[
        "check",
        "--color",
        "always",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert!(forced.contains("\x1b[31;1m"), "red verdict when forced");
}

#[test]
fn exit_code_table_is_stable() {
    // Scheduled tasks depend on these numbers; changing one is a breaking
    // change that must be deliberate.
    let [t, a] = trust();
    let cases = [
        ("unsigned-wsusscn2.cab", 3),
        ("clean-wsusscn2.cab", 0),
        ("sample-wsusscn2.cab", 1),
        ("broken-truncated.cab", 3),
        ("broken-flipped-byte.cab", 3),
        ("broken-not-a-cab.cab", 3),
        ("broken-no-package-xml.cab", 3),
        ("broken-malformed-xml.cab", 3),
    ];
    for (name, code) in cases {
        assert_eq!(
            run(["check", &t, &a, testdata(name).to_str().unwrap()]).code,
            code,
            "{name}"
        );
    }
    assert_eq!(run(["check", "/no/such/file.cab"]).code, 2);
    assert_eq!(run(["check", "--no-such-option"]).code, 2);
    // The table as scripts read it, word for word.
    const TABLE: &str = "\
Exit codes:
  0    compatible: the catalog was read completely and has no breaking finding
  1    incompatible: at least one breaking finding
  2    usage or environment error (bad arguments, missing file, I/O, bad profile,
       report or log not writable)
  3    unusable catalog (not a cab, truncated, corrupt block or checksum,
       package.cab or package.xml missing, malformed XML, no <Update>,
       unsigned, bad or untrusted signature)
  130  interrupted (Ctrl-C, SIGTERM); no half-written --output is left";
    for args in [&["--help"][..], &["check", "--help"]] {
        let help = run(args).stdout;
        assert!(help.contains(TABLE), "{args:?} prints the table:\n{help}");
    }
    let doc = std::fs::read_to_string(root().join("docs/exit-codes.md")).unwrap();
    for needle in ["| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 130 |"] {
        assert!(doc.contains(needle), "docs/exit-codes.md has {needle}");
    }
}

#[test]
fn jsonl_report_snapshot() {
    let (code, out) = run_in_root(&[
        "check",
        "--format",
        "jsonl",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("sample_jsonl", out);
}

#[test]
fn csv_report_snapshot() {
    let (code, out) = run_in_root(&[
        "check",
        "--format",
        "csv",
        ANCHOR,
        "testdata/sample-wsusscn2.cab",
    ]);
    assert_eq!(code, 1);
    // RFC 4180 ends every record with CRLF; the snapshot shows them.
    assert!(out.ends_with("\r\n") && !out.replace("\r\n", "").contains('\n'));
    insta::assert_snapshot!("sample_csv", out.replace("\r\n", "\\r\\n\n"));
}

/// Reads jsonl the way PowerShell does: line by line, each a document.
fn jsonl_events(text: &str) -> Vec<serde_json::Value> {
    assert!(text.ends_with('\n'), "the last event ends its line");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn jsonl_is_one_typed_event_per_line_and_matches_the_json_report() {
    let [t, a] = trust();
    for name in ["sample-wsusscn2.cab", "clean-wsusscn2.cab"] {
        let file = testdata(name);
        let (code, doc) = check_json(&file, &[&t, &a]);
        let r = run(["check", "--format", "jsonl", &t, &a, file.to_str().unwrap()]);
        assert_eq!(r.code, code, "{name}");
        let events = jsonl_events(&r.stdout);
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        // Per-update findings, then catalog-level ones, each told by its
        // `scope`.
        let findings: Vec<(&str, &serde_json::Value)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| ("update", f))
            .chain(
                doc["catalog_findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| ("catalog", f)),
            )
            .collect();
        let mut expected = vec!["catalog"];
        expected.extend(findings.iter().map(|_| "finding"));
        expected.push("summary");
        assert_eq!(types, expected, "{name}");
        let catalog = &events[0];
        assert_eq!(catalog["sha256"], doc["catalog"]["sha256"]);
        assert_eq!(catalog["signature"], doc["signature"]);
        assert_eq!(catalog["profiles"], doc["profiles"]);
        for (event, (scope, finding)) in events[1..].iter().zip(&findings) {
            let mut event = event.clone();
            event.as_object_mut().unwrap().remove("type");
            let got = event.as_object_mut().unwrap().remove("scope");
            assert_eq!(got.as_ref().and_then(|s| s.as_str()), Some(*scope));
            assert_eq!(&event, *finding);
        }
        let mut summary = events.last().unwrap().clone();
        summary.as_object_mut().unwrap().remove("type");
        assert_eq!(summary, doc["summary"]);
    }
}

#[test]
fn jsonl_errors_are_an_error_event_on_stdout_and_a_line_on_stderr() {
    let [t, a] = trust();
    for (file, kind, code) in [
        (testdata("broken-malformed-xml.cab"), "xml", 3),
        ("/no/such/file.cab".into(), "io", 2),
    ] {
        let r = run(["check", "--format", "jsonl", &t, &a, file.to_str().unwrap()]);
        assert_eq!(r.code, code);
        let events = jsonl_events(&r.stdout);
        assert_eq!(events.len(), 1, "{}", r.stdout);
        assert_eq!(events[0]["type"], "error");
        assert_eq!(events[0]["kind"], kind);
        assert!(r.stderr.starts_with("wsuscat: error: "), "{}", r.stderr);
    }
    // CSV has no place for an error: stderr only, stdout empty.
    let r = run([
        "check",
        "--format",
        "csv",
        &t,
        &a,
        testdata("broken-truncated.cab").to_str().unwrap(),
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (3, ""));
    assert!(r.stderr.contains("truncated"), "{}", r.stderr);
    // Human errors never reach stdout.
    let r = run(["check", "/no/such/file.cab"]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn csv_parses_with_a_csv_reader_and_matches_the_json_report() {
    // A profile whose message needs every kind of quoting, and whose rule
    // finds both an empty and an absent value in the generated catalog.
    let dir = tempfile::tempdir().unwrap();
    let cab = dir.path().join("mix.cab");
    let g = run([
        "generate",
        "--updates",
        "120",
        "--outer",
        "mszip",
        "--inner",
        "mszip",
        "--inject",
        "1000010=",
        "--inject",
        "1000020",
        "--inject",
        "1000030=Odd,\"Value\"",
        "-o",
        cab.to_str().unwrap(),
    ]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    let profile = dir.path().join("quoting.toml");
    std::fs::write(
        &profile,
        r#"name = "quoting"
description = "CSV quoting"
[[rule]]
name = "da"
attribute = "DeploymentAction"
allow_absent = false
allowed = ["Install", "Bundle", "Evaluate"]
severity = "warn"
message = "a comma, a \"quote\"\nand a line break"
"#,
    )
    .unwrap();
    let args = |f: &'static str| {
        vec![
            "check".to_string(),
            "--allow-unsigned".into(),
            "--profile".into(),
            profile.display().to_string(),
            "--format".into(),
            f.into(),
            cab.display().to_string(),
        ]
    };
    let json = run(args("json"));
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let csv_run = run(args("csv"));
    assert_eq!(csv_run.code, json.code);
    let (header, rows) = csv_rows(&csv_run.stdout);
    assert_eq!(header, wsuscat::report::CHECK_CSV_COLUMNS);
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.len() >= 3, "{}", json.stdout);
    assert_eq!(rows.len(), findings.len());
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut seen_absent = false;
    for (row, f) in rows.iter().zip(findings) {
        for (column, cell) in header.iter().zip(row) {
            let expected = match column.as_str() {
                "scope" => "update".to_string(),
                "subject" | "updates" | "occurrences" | "first_updates" => String::new(),
                "profiles" => "quoting".to_string(),
                "attribute_present" => (!f["value"].is_null()).to_string(),
                "products" => f["products"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(text)
                    .collect::<Vec<_>>()
                    .join(";"),
                "bundled_by" => text(&f["bundled_by"]["revision_id"]),
                c => text(&f[c]),
            };
            assert_eq!(cell, &expected, "{column} of {f}");
        }
        seen_absent |= f["value"].is_null();
    }
    assert!(seen_absent, "an absent value is among the findings");
    assert!(rows.iter().any(|r| r[6] == "Odd,\"Value\""));
}

/// The README's first command must keep working: it is how a newcomer meets
/// the tool. Its arguments are taken from the README itself.
#[test]
fn the_readme_command_runs_the_sample_and_finds_the_incident() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("cargo run --release -- "))
        .expect("README gives a cargo run command");
    let args: Vec<&str> = line["cargo run --release -- ".len()..]
        .split_whitespace()
        .collect();
    let out = command().args(&args).current_dir(root()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1293995") && stdout.contains("INCOMPATIBLE"),
        "{stdout}"
    );
    assert!(
        readme.contains("\n    cargo test\n"),
        "README gives the test command"
    );
}
