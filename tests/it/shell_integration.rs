//! Completions, man pages and help texts, all from the clap definitions;
//! and colour only where a person looks at a terminal.

use std::process::Command;

use crate::common::*;

const SUBCOMMANDS: [&str; 12] = [
    "check",
    "verify",
    "info",
    "list",
    "show",
    "diff",
    "fetch",
    "baseline",
    "profiles",
    "generate",
    "completions",
    "man",
];

#[test]
fn completions_generate_for_every_shell_and_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        if !matches!(shell, "powershell" | "elvish") {
            // clap_complete's PowerShell and Elvish scripts complete option
            // names, not their values.
            assert!(
                r.stdout.contains("jsonl"),
                "{shell} completes --format's values"
            );
        }
        assert!(r.stdout.len() > 500, "{shell}: {} bytes", r.stdout.len());
        for word in ["check", "verify", "format", "log-max-bytes"] {
            assert!(r.stdout.contains(word), "{shell} completion lacks {word}");
        }
    }
    assert_eq!(run(["completions", "tcsh"]).code, 2);
}

#[test]
fn man_pages_generate_and_are_roff() {
    let r = run(["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with(".ie \\n(.g .ds Aq") || r.stdout.contains(".TH wsuscat"),
        "{}",
        &r.stdout[..200.min(r.stdout.len())]
    );
    assert!(r.stdout.contains(".TH wsuscat 1"));
    for sub in SUBCOMMANDS {
        assert!(r.stdout.contains(sub), "the page lists {sub}");
    }
    let dir = tempfile::tempdir().unwrap();
    let r = run(["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = SUBCOMMANDS
        .iter()
        .map(|s| format!("wsuscat-{s}.1"))
        .collect();
    expected.push("wsuscat.1".into());
    expected.sort();
    assert_eq!(pages, expected);
    for page in pages {
        let text = std::fs::read_to_string(dir.path().join(&page)).unwrap();
        assert!(text.contains(".TH ") && text.len() > 300, "{page}");
    }
    let check = std::fs::read_to_string(dir.path().join("wsuscat-check.1")).unwrap();
    assert!(
        check.contains("trust\\-anchor") && check.contains("Examples"),
        "{check}"
    );
}

#[test]
fn every_help_text_has_examples() {
    let r = run(["--help"]);
    assert!(r.stdout.contains("Examples:"), "top-level help");
    for sub in SUBCOMMANDS {
        let r = run([sub, "--help"]);
        assert_eq!(r.code, 0);
        let examples = r
            .stdout
            .split("Examples:")
            .nth(1)
            .unwrap_or_else(|| panic!("{sub} --help has no examples"));
        assert!(
            examples.contains(&format!("wsuscat {sub}")),
            "{sub}'s examples run {sub}"
        );
    }
}

/// Runs a command on a pseudo-terminal through util-linux's `script`, so
/// that stdout is a terminal; None when `script` is not there.
fn on_a_terminal(args: &str, no_color: bool) -> Option<String> {
    if !have_tool("script") {
        return None;
    }
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &format!("{} {args}", command_line()), "/dev/null"])
        .current_dir(root())
        .env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn colour_on_a_terminal_unless_no_color_and_never_in_a_pipe() {
    let args =
        "check --no-progress --trust-anchor testdata/test-signing/test-root-ca.pem testdata/sample-wsusscn2.cab";
    let Some(tty) = on_a_terminal(args, false) else {
        return;
    };
    assert!(tty.contains("\x1b[31;1m"), "auto colours a terminal: {tty}");
    let plain = on_a_terminal(args, true).unwrap();
    // No colour (SGR, `ESC[…m`) under NO_COLOR. Wine's console adds its own
    // cursor and line-erase sequences (`ESC[?25l`, `ESC[K`) to whatever a
    // Windows program writes to a terminal; those are Wine's, not
    // wsuscat's, so only a native run is held to no escape at all.
    let sgr = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
    assert!(
        plain.contains("INCOMPATIBLE") && !sgr.is_match(&plain),
        "NO_COLOR: {plain}"
    );
    if !exe_is_windows() {
        assert!(!plain.contains("\x1b["), "NO_COLOR, native: {plain}");
    }
    // Piped, with neither NO_COLOR nor --color: no ANSI at all.
    let out = command()
        .args(args.split(' '))
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!out.stdout.contains(&0x1b), "no ANSI in a pipe");
    assert!(!out.stderr.contains(&0x1b), "no ANSI on a piped stderr");
}
