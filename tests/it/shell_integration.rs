//! Completions, man pages and help texts, all from the clap definitions;
//! and colour only where a person looks at a terminal.

use std::process::Command;

use crate::common::*;

const SUBCOMMANDS: [&str; 14] = [
    "check",
    "verify",
    "install",
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
    "event-log",
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
        // roff writes a hyphen as \-.
        assert!(
            r.stdout.contains(&sub.replace('-', "\\-")),
            "the page lists {sub}"
        );
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

/// Every `Usage:` line of `out`, checked to name the program `wsuscat`.
fn assert_usage_says_wsuscat(what: &str, out: &str) -> usize {
    let usage: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("Usage:"))
        .collect();
    for line in &usage {
        assert!(
            line.trim_start().starts_with("Usage: wsuscat ") && !line.contains(".exe"),
            "{what}: {line:?}"
        );
    }
    usage.len()
}

/// Under Windows clap would take the name from argv[0] and print
/// `wsuscat.exe`, while every example says `wsuscat` (under Wine too, where
/// this runs against `wsuscat.exe`).
#[test]
fn usage_lines_say_wsuscat_on_every_platform() {
    let r = run(["--help"]);
    assert_eq!(r.code, 0);
    assert_eq!(assert_usage_says_wsuscat("--help", &r.stdout), 1);
    for sub in SUBCOMMANDS {
        let r = run([sub, "--help"]);
        assert_eq!(r.code, 0, "{sub} --help");
        let usages = assert_usage_says_wsuscat(sub, &r.stdout);
        assert!(usages >= 1, "{sub} --help has a usage line");
        assert!(
            r.stdout.contains(&format!("Usage: wsuscat {sub} ")),
            "{sub}: {}",
            r.stdout
        );
    }
    // Usage errors print their usage line on stderr, with exit 2.
    for args in [
        &["check"][..],
        &["bogus"],
        &["check", "--no-such-flag", "x.cab"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}");
        assert_eq!(
            assert_usage_says_wsuscat(&format!("{args:?}"), &r.stderr),
            1,
            "{}",
            r.stderr
        );
    }
}

/// Strips PowerShell's quoted strings ('...' with '' inside, and "..."
/// with `-escapes) from a script, failing on one left open.
fn without_strings(script: &str) -> String {
    let mut out = String::new();
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next().expect("a single-quoted string left open") {
                    '\'' if chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    '\'' => break,
                    _ => {}
                }
            },
            '"' => loop {
                match chars.next().expect("a double-quoted string left open") {
                    '`' => {
                        chars.next();
                    }
                    '"' => break,
                    _ => {}
                }
            },
            '#' => {
                // A comment, to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// No PowerShell on this machine parses the script (none installs from
/// the registries it reaches; tree-sitter's PowerShell grammar rejects
/// the valid `.Where{ }` clap_complete writes), so its structure is
/// checked instead: pure ASCII, both names registered, strings closed,
/// brackets balanced, and a case for every subcommand.
#[test]
fn powershell_completion_is_ascii_and_completes_wsuscat_exe_too() {
    let r = run(["completions", "powershell"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let script = r.stdout;
    let odd: Vec<char> = script.chars().filter(|c| !c.is_ascii()).collect();
    assert!(
        odd.is_empty(),
        "non-ASCII in the PowerShell script: {odd:?}"
    );
    let register: Vec<&str> = script
        .lines()
        .filter(|l| l.starts_with("Register-ArgumentCompleter"))
        .collect();
    assert_eq!(
        register,
        ["Register-ArgumentCompleter -Native -CommandName 'wsuscat', 'wsuscat.exe' -ScriptBlock {"]
    );
    // The help texts' ellipsis, in ASCII.
    assert!(script.contains("lzx:15 ... lzx:21"), "the --outer tooltip");
    let code = without_strings(&script);
    let mut depth = Vec::new();
    for (n, line) in code.lines().enumerate() {
        for c in line.chars() {
            match c {
                '{' | '(' | '[' => depth.push(c),
                '}' | ')' | ']' => {
                    let open = depth
                        .pop()
                        .unwrap_or_else(|| panic!("line {}: {c} unopened", n + 1));
                    let want = match c {
                        '}' => '{',
                        ')' => '(',
                        _ => '[',
                    };
                    assert_eq!(open, want, "line {}: {open} closed by {c}", n + 1);
                }
                _ => {}
            }
        }
    }
    assert!(depth.is_empty(), "left open: {depth:?}");
    for sub in SUBCOMMANDS {
        assert!(
            script.contains(&format!("'wsuscat;{sub}' {{")),
            "a case for {sub}"
        );
    }
}

/// The bash script completes as it did: subcommands, and option values.
#[test]
fn bash_completion_completes_subcommands_and_values() {
    if !have_tool("bash") {
        return;
    }
    let r = run(["completions", "bash"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wsuscat.bash");
    std::fs::write(&file, &r.stdout).unwrap();
    let probe = r#"source "$1"
complete -p wsuscat
COMP_WORDS=(wsuscat ch); COMP_CWORD=1; _wsuscat wsuscat ch wsuscat; echo "sub: ${COMPREPLY[*]}"
COMP_WORDS=(wsuscat check --format j); COMP_CWORD=3; _wsuscat wsuscat j --format; echo "format: ${COMPREPLY[*]}""#;
    let out = Command::new("bash")
        .args(["-c", probe, "probe"])
        .arg(&file)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains("-F _wsuscat"), "{out}");
    assert!(out.contains("sub: check\n"), "{out}");
    assert!(out.contains("format: json jsonl\n"), "{out}");
}
