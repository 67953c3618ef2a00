//! `--event-log` and `event-log install|uninstall`.
//!
//! Against wsuscat.exe under Wine, each test reads what the exe handed to
//! the event log from Wine's debug output (`WINEDEBUG=+eventlog` for that
//! run): Wine 8.0's advapi32 stubs print the source on a
//! `fixme:advapi:RegisterEventSourceW` line, the type and event ID on a
//! `fixme:advapi:ReportEventW` line, and the text on `trace:eventlog`
//! (information), `warn:eventlog` (warning) or `err:eventlog` (error), cut
//! after about 290 characters. Against a native Linux build, the same
//! test checks that the same command is refused before any work, with exit
//! 2 and one line. On Windows itself Wine's trace is not there: SKIP.

use std::path::Path;

use crate::common::*;

/// Which way the exe under test is tested.
enum Platform {
    /// wsuscat.exe under Wine: the event's trace is on stderr.
    Wine,
    /// Not Windows: `--event-log` is refused.
    Elsewhere,
    /// Windows itself: no trace to read.
    Windows,
}

fn platform() -> Platform {
    let wine = std::env::var("WSUSCAT_TEST_RUNNER").is_ok_and(|r| r.contains("wine"));
    if exe_is_windows() && wine {
        Platform::Wine
    } else if exe_is_windows() {
        Platform::Windows
    } else {
        Platform::Elsewhere
    }
}

/// Runs wsuscat with Wine's event log trace on (and its other debug
/// output off).
fn run_traced(args: &[String]) -> Run {
    let out = command()
        .env("WINEDEBUG", "-all,fixme+advapi,+eventlog")
        .args(args)
        .output()
        .expect("run wsuscat");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn fixture(name: &str) -> String {
    testdata(name).display().to_string()
}

/// `wsuscat ARGS --event-log` where there is no event log: exit 2, one
/// line on stderr that says it is Windows-only and what to use, no
/// report, and no work done (the `--log` it names is not created).
fn assert_refused(mut argv: Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("refused.log");
    argv.insert(1, "--log".into());
    argv.insert(2, log.display().to_string());
    let r = run(&argv);
    assert_eq!(r.code, 2, "{argv:?}: {}", r.stderr);
    assert_eq!(
        r.stderr,
        "wsuscat: error: --event-log is Windows-only (it uses the Windows Application event log); \
         on Linux and other systems, use --log FILE (a CMTrace log) or the exit code\n"
    );
    // No report; with --format json, the error document in its place.
    assert!(
        r.stdout.is_empty() || r.stdout.contains("\"kind\": \"usage\""),
        "{}",
        r.stdout
    );
    assert!(!log.exists(), "the refusal came before the log was opened");
}

/// The event's three parts under Wine: the source, the type and ID, and
/// the text's line (returned) on the channel of its type.
fn event_text(r: &Run, code: i32, kind: u16, channel: &str) -> String {
    assert_eq!(r.code, code, "the run's own exit code: {}", r.stderr);
    assert!(
        r.stderr
            .contains("fixme:advapi:RegisterEventSourceW ((null),L\"wsuscat\")"),
        "the source is wsuscat: {}",
        r.stderr
    );
    let report: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("fixme:advapi:ReportEventW"))
        .collect();
    assert_eq!(report.len(), 1, "one entry per run: {}", r.stderr);
    let id = 1000 + code as u32;
    assert!(
        report[0].contains(&format!(",0x{kind:04x},0x0000,0x{id:08x},")),
        "type 0x{kind:04x}, event ID {id}: {}",
        report[0]
    );
    let marker = format!("{channel}:eventlog:ReportEventW L\"");
    let text: Vec<&str> = r.stderr.lines().filter(|l| l.contains(&marker)).collect();
    assert_eq!(
        text.len(),
        1,
        "the text on {channel}:eventlog: {}",
        r.stderr
    );
    text[0].split_once(&marker).unwrap().1.to_string()
}

const INFORMATION: (u16, &str) = (4, "trace");
const WARNING: (u16, &str) = (2, "warn");
const ERROR: (u16, &str) = (1, "err");

/// Runs `argv` with `--event-log` and, under Wine, returns the event's
/// text after checking its code, type and ID; elsewhere checks the
/// refusal and returns None.
fn event(argv: &[String], code: i32, (kind, channel): (u16, &str)) -> Option<String> {
    let mut argv = argv.to_vec();
    argv.insert(1, "--event-log".into());
    match platform() {
        Platform::Wine => {
            let r = run_traced(&argv);
            Some(event_text(&r, code, kind, channel))
        }
        Platform::Elsewhere => {
            assert_refused(argv);
            None
        }
        Platform::Windows => {
            skip("Wine's event log trace is not there on Windows; read the Application log with Get-WinEvent");
            None
        }
    }
}

#[test]
fn an_incompatible_catalog_is_a_warning_1001_that_says_so() {
    let [t, a] = trust();
    let argv = args(&["check", "--quiet", &t, &a, &fixture("sample-wsusscn2.cab")]);
    let Some(text) = event(&argv, 1, WARNING) else {
        return;
    };
    let (head, rest) = text.split_once("sample-wsusscn2.cab").expect("the catalog");
    assert!(
        head.starts_with("wsuscat check: exit code 1 (incompatible)\\r\\ncatalog: "),
        "{text}"
    );
    assert!(
        rest.starts_with("\\r\\nverdict INCOMPATIBLE: 1 breaking finding(s)"),
        "the verdict comes third: {text}"
    );
}

#[test]
fn a_compatible_catalog_is_information_1000_and_the_report_is_unchanged() {
    let [t, a] = trust();
    let clean = fixture("clean-wsusscn2.cab");
    let argv = args(&["check", "--format", "json", &t, &a, &clean]);
    let Some(text) = event(&argv, 0, INFORMATION) else {
        return;
    };
    assert!(
        text.starts_with("wsuscat check: exit code 0 (compatible)\\r\\ncatalog: "),
        "{text}"
    );
    assert!(
        text.contains("clean-wsusscn2.cab\\r\\nverdict COMPATIBLE: all "),
        "{text}"
    );
    let mut with = argv.clone();
    with.insert(1, "--event-log".into());
    assert_eq!(
        run(&with).stdout,
        run(&argv).stdout,
        "--event-log changes nothing on stdout"
    );
}

#[test]
fn an_unusable_catalog_is_an_error_1003_with_the_error_line() {
    let [t, a] = trust();
    let argv = args(&["check", &t, &a, &fixture("broken-truncated.cab")]);
    let Some(text) = event(&argv, 3, ERROR) else {
        return;
    };
    assert!(
        text.starts_with("wsuscat check: exit code 3 (unusable catalog)\\r\\n"),
        "{text}"
    );
    assert!(text.contains("\\r\\nerror: "), "{text}");
}

#[test]
fn a_log_that_cannot_be_opened_is_an_error_1002_and_still_an_entry() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("missing-folder").join("wsuscat.log");
    let argv = match platform() {
        // The refusal comes first, whatever else is wrong.
        Platform::Elsewhere => args(&["check", &fixture("sample-wsusscn2.cab")]),
        _ => args(&[
            "check",
            "--log",
            &log.display().to_string(),
            &fixture("sample-wsusscn2.cab"),
        ]),
    };
    let Some(text) = event(&argv, 2, ERROR) else {
        return;
    };
    assert!(
        text.starts_with("wsuscat check: exit code 2 (usage or environment error)\\r\\n"),
        "{text}"
    );
    assert!(text.contains("cannot write the log"), "{text}");
}

#[test]
fn verify_and_diff_write_entries_in_their_own_words() {
    let [t, a] = trust();
    let (sample, clean) = (
        fixture("sample-wsusscn2.cab"),
        fixture("clean-wsusscn2.cab"),
    );
    if let Some(text) = event(&args(&["verify", &t, &a, &sample]), 0, INFORMATION) {
        assert!(text.starts_with("wsuscat verify: exit code 0 "), "{text}");
        assert!(text.contains("\\r\\nverdict INTACT: "), "{text}");
    }
    if let Some(text) = event(&args(&["diff", &t, &a, &sample, &sample]), 0, INFORMATION) {
        assert!(
            text.starts_with("wsuscat diff: exit code 0 (no differences)\\r\\ncatalogs: "),
            "{text}"
        );
    }
    let argv = args(&["diff", "--quiet", &t, &a, &clean, &sample]);
    if let Some(text) = event(&argv, 1, WARNING) {
        assert!(
            text.starts_with("wsuscat diff: exit code 1 (different)\\r\\ncatalogs: "),
            "{text}"
        );
    }
}

const KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\wsuscat";

/// `wine reg query KEY`: its exit code and stdout.
fn reg_query() -> (i32, String) {
    let out = std::process::Command::new("wine")
        .env("WINEDEBUG", "-all")
        .args(["reg", "query", KEY])
        .output()
        .expect("run wine reg");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// .NET Framework 4's message file in the Wine prefix: there only with
/// Mono or .NET installed in it.
fn message_file() -> std::path::PathBuf {
    let prefix = std::env::var_os("WINEPREFIX")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap()).join(".wine"));
    prefix.join("drive_c/windows/Microsoft.NET/Framework64/v4.0.30319/EventLogMessages.dll")
}

/// `event-log install` under Wine: exit 0, the key with TypesSupported 7,
/// and EventMessageFile exactly when the DLL is there. Returns stdout.
fn install_and_query() -> String {
    let r = run(["event-log", "install"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("registered the event source wsuscat in the Application log"),
        "{}",
        r.stdout
    );
    let (code, key) = reg_query();
    assert_eq!(code, 0, "the key is there: {key}");
    assert!(key.contains("TypesSupported    REG_DWORD    0x7"), "{key}");
    let value = r"EventMessageFile    REG_EXPAND_SZ    %SystemRoot%\Microsoft.NET\Framework64\v4.0.30319\EventLogMessages.dll";
    assert_eq!(
        key.contains(value),
        message_file().is_file(),
        "EventMessageFile only when the DLL is there: {key}"
    );
    r.stdout
}

fn uninstall() {
    let r = run(["event-log", "uninstall"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("removed the event source wsuscat"),
        "{}",
        r.stdout
    );
    assert_ne!(reg_query().0, 0, "the key is gone");
}

#[test]
fn event_log_install_registers_the_source_and_uninstall_removes_it() {
    match platform() {
        Platform::Elsewhere => {
            let r = run(["event-log", "install"]);
            assert_eq!(r.code, 2, "{}", r.stderr);
            assert!(
                r.stderr
                    .starts_with("wsuscat: error: event-log install is Windows-only"),
                "{}",
                r.stderr
            );
            assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
            return;
        }
        Platform::Windows => {
            return skip("installing would change this machine's registry");
        }
        Platform::Wine => {}
    }
    let dll = message_file();
    if !dll.is_file() {
        let out = install_and_query();
        assert!(out.contains("no EventMessageFile"), "{out}");
        uninstall();
        // A stand-in, so that the branch with the message file runs too:
        // install looks only for the file.
        std::fs::create_dir_all(dll.parent().unwrap()).unwrap();
        std::fs::write(&dll, b"stand-in for the test").unwrap();
        let out = install_and_query();
        std::fs::remove_file(&dll).unwrap();
        assert!(out.contains(r"EventMessageFile %SystemRoot%\"), "{out}");
    } else {
        install_and_query();
    }
    uninstall();
    let r = run(["event-log", "uninstall"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("was not registered"), "{}", r.stdout);
}
