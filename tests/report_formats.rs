//! The output formats, pinned: JSON against the documented schema,
//! snapshots of the human and JSON reports, and the exit-code table.

mod common;

use std::process::Command;

use common::*;

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
    let out = Command::new(bin())
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
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
    let help = run(["check", "--help"]).stdout;
    for line in [
        "0  compatible",
        "1  incompatible",
        "2  usage or environment error",
        "3  unusable catalog",
    ] {
        assert!(help.contains(line), "--help lists {line:?}");
    }
    let doc = std::fs::read_to_string(root().join("docs/exit-codes.md")).unwrap();
    for needle in ["| 0 |", "| 1 |", "| 2 |", "| 3 |"] {
        assert!(doc.contains(needle), "docs/exit-codes.md has {needle}");
    }
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
    let out = Command::new(bin())
        .args(&args)
        .current_dir(root())
        .output()
        .unwrap();
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
