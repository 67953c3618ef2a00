//! The output of every command, pinned: the human and JSON reports of
//! `check`, `verify`, `info`, `list`, `show` and `diff`, the TOML `baseline`
//! writes (it has no other format), and the one-line error `check` and
//! `verify` give for each `testdata/broken-*.cab`.
//!
//! These snapshots were taken before the source tree was regrouped into
//! layers (issue 11), so that the move could be shown to change no output.
//! Commands run in the project root with relative paths, so the paths in
//! the reports are the same on every machine.

use crate::common::*;

const ANCHOR: &str = "--trust-anchor=testdata/test-signing/test-root-ca.pem";
const SAMPLE: &str = "testdata/sample-wsusscn2.cab";
const CLEAN: &str = "testdata/clean-wsusscn2.cab";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_here(args: &[&str]) -> Out {
    let out = command()
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run wsuscat");
    Out {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs `args` in the human format and in JSON, checks the exit code of
/// both, and snapshots both outputs.
fn human_and_json(name: &str, args: &[&str], code: i32) {
    let human = run_here(args);
    assert_eq!(human.code, code, "{args:?}: {}", human.stderr);
    insta::assert_snapshot!(format!("{name}_human"), human.stdout);
    let mut json_args = args.to_vec();
    json_args.insert(1, "--format=json");
    let json = run_here(&json_args);
    assert_eq!(json.code, code, "{json_args:?}: {}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("{json_args:?} does not print JSON ({e})"));
    insta::assert_snapshot!(
        format!("{name}_json"),
        serde_json::to_string_pretty(&doc).expect("re-serialize")
    );
}

#[test]
fn check_output() {
    human_and_json("check_sample", &["check", ANCHOR, SAMPLE], 1);
    human_and_json("check_clean", &["check", ANCHOR, CLEAN], 0);
}

#[test]
fn verify_output() {
    human_and_json("verify_sample", &["verify", ANCHOR, SAMPLE], 0);
}

#[test]
fn info_output() {
    human_and_json("info_sample", &["info", ANCHOR, SAMPLE], 0);
}

#[test]
fn list_output() {
    human_and_json(
        "list_bundles",
        &["list", ANCHOR, "--kind", "bundle", SAMPLE],
        0,
    );
    human_and_json(
        "list_breaking_action",
        &[
            "list",
            ANCHOR,
            "--deployment-action",
            "PreDeploymentCheck",
            SAMPLE,
        ],
        0,
    );
}

#[test]
fn show_output() {
    human_and_json("show_incident", &["show", ANCHOR, SAMPLE, "1293995"], 0);
}

#[test]
fn diff_output() {
    human_and_json("diff_clean_sample", &["diff", ANCHOR, CLEAN, SAMPLE], 1);
}

#[test]
fn baseline_output() {
    let out = run_here(&["baseline", ANCHOR, CLEAN]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("baseline_clean_toml", out.stdout);
}

/// Each broken fixture gives exit 3 and exactly one line on stderr, naming
/// the file, the place and the cause.
#[test]
fn broken_fixture_errors() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("testdata"))
        .expect("testdata")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("broken-") && n.ends_with(".cab"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "the broken fixtures are there: {names:?}");
    let mut lines = String::new();
    for name in &names {
        let path = format!("testdata/{name}");
        for command in ["check", "verify"] {
            let out = run_here(&[command, ANCHOR, &path]);
            assert_eq!(out.code, 3, "{command} {name}: {}", out.stderr);
            assert!(out.stdout.is_empty(), "{command} {name} prints no report");
            assert_eq!(
                out.stderr.lines().count(),
                1,
                "{command} {name}: one line:\n{}",
                out.stderr
            );
            assert!(
                out.stderr.contains(&path),
                "{command} {name} names the file"
            );
            lines.push_str(&format!("{command} {name}\n  {}", out.stderr));
        }
    }
    insta::assert_snapshot!("broken_fixture_errors", lines);
}
