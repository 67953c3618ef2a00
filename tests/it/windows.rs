//! What a Windows admin expects of paths and files, tested on the Windows
//! exe under Wine (`.ci/windows.sh`) and, where Unix has its own answer to
//! the same situation, on the native binary: devices (`NUL`, `CON`), a
//! report another program holds open (Excel does), long and verbatim
//! (`\\?\`) paths, drive letters, and the bytes of a CSV report that Excel
//! and PowerShell will read. docs/windows.md says what Wine cannot show.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::*;

/// `/tmp/x/y` as a Windows exe under Wine names it: drive Z: is `/`.
fn z(p: &Path) -> String {
    format!("Z:{}", p.to_str().unwrap().replace('/', "\\"))
}

/// The path to give the binary under test: the Z: form for the exe.
fn arg(p: &Path) -> String {
    if exe_is_windows() {
        z(p)
    } else {
        p.to_str().unwrap().to_string()
    }
}

fn sample() -> String {
    arg(&testdata("sample-wsusscn2.cab"))
}

/// Runs the binary under test in `dir`, so that a relative name lands there.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = command().args(args).current_dir(dir).output().unwrap();
    Run {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `NUL` and `CON` are where a Windows admin sends a report or a log to
/// throw it away or to see it; `--output NUL` used to exit 2 "Bad device
/// type" and `--log NUL` "Invalid parameter", because a temp file cannot be
/// renamed over a device. On Unix `NUL` is a name like any other.
#[test]
fn output_and_log_to_nul_write_into_the_device() {
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    let s = sample();
    let nul_csv = arg(&dir.path().join("nul.csv"));
    for args in [
        vec!["check", &t, &a, "--output", "NUL", &s],
        vec!["check", &t, &a, "--format", "csv", "--output", &nul_csv, &s],
        // A log smaller than one line: a file would roll over at each one.
        vec![
            "check",
            &t,
            &a,
            "--log",
            "NUL",
            "--log-max-bytes",
            "100",
            &s,
        ],
        vec!["check", &t, &a, "--log", "nul", "--output", "NUL", &s],
    ] {
        let r = run_in(dir.path(), &args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr, "", "{args:?}");
        if exe_is_windows() {
            assert_eq!(entries(dir.path()), Vec::<String>::new(), "{args:?}");
        }
    }
    if !exe_is_windows() {
        // Unix: ordinary files, written like any report and log.
        let names = entries(dir.path());
        assert_eq!(names, ["NUL", "NUL.lo_", "nul", "nul.csv"], "{names:?}");
        let report = std::fs::read_to_string(dir.path().join("NUL")).unwrap();
        assert!(report.contains("INCOMPATIBLE"), "{report}");
    }
}

/// `--output CON` on a console writes the report to the console, with no
/// byte order mark (a CSV's BOM is for files; on the console it shows as
/// `∩╗┐`); `--output /dev/tty` is the same on Unix. Needs a terminal,
/// which `script` makes.
#[test]
fn output_to_the_console_shows_the_report_without_a_bom() {
    if !have_tool("script") {
        skip("`script` (util-linux) is needed for a console");
        return;
    }
    let [t, a] = trust();
    let line = format!(
        "{} check --no-progress {t} {a} --format csv --output {} {}",
        command_line(),
        if exe_is_windows() { "CON" } else { "/dev/tty" },
        // A shell reads this line: the Unix form of the path (Wine maps it
        // to Z:), which has no backslashes for the shell to eat.
        testdata("sample-wsusscn2.cab").display()
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("revision_id,update_id"), "{text}");
    assert!(text.contains("1293995"), "{text}");
    assert!(
        !text.contains('\u{feff}') && !text.contains("∩╗┐"),
        "{text}"
    );
}

/// Excel holds an open CSV so that nobody else may write, rename or delete
/// it. The report used to be written to a temp file and then fail on the
/// rename with "Access denied (os error 5)"; it must say what to do, leave
/// the old file whole and no temp file behind. Unix replaces a file that a
/// reader holds open, and the reader keeps reading the old one.
#[test]
fn a_report_another_program_holds_open_is_left_whole_with_one_clear_error() {
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.csv");
    std::fs::write(&target, "the old report\n").unwrap();
    let out = arg(&target);
    let args = [
        "check",
        &t,
        &a,
        "--format",
        "csv",
        "--output",
        &out,
        &sample(),
    ];
    if !exe_is_windows() {
        let mut held = std::fs::File::open(&target).unwrap();
        let r = run(args);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let mut old = String::new();
        held.read_to_string(&mut old).unwrap();
        assert_eq!(old, "the old report\n", "the reader keeps the old file");
        let new = std::fs::read_to_string(&target).unwrap();
        assert!(new.starts_with("\u{feff}revision_id,"), "{new}");
        return;
    }
    let Some(holder) = std::env::var_os("WSUSCAT_TEST_HOLD_OPEN") else {
        skip("WSUSCAT_TEST_HOLD_OPEN (hold-open.exe, which .ci/windows.sh builds) is not set");
        return;
    };
    let mut hold = Command::new("wine")
        .arg(&holder)
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = String::new();
    BufReader::new(hold.stdout.take().unwrap())
        .read_line(&mut said)
        .unwrap();
    assert_eq!(said.trim(), "held");
    let r = run(args);
    let log = dir.path().join("w.log");
    std::fs::write(&log, "").unwrap();
    // The log is appended to, not replaced: held open, it cannot be opened.
    let held_log = {
        let mut h = Command::new("wine")
            .arg(&holder)
            .arg(z(&log))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut s = String::new();
        BufReader::new(h.stdout.take().unwrap())
            .read_line(&mut s)
            .unwrap();
        h
    };
    let l = run(["check", &t, &a, "--log", &z(&log), &sample()]);
    for mut h in [hold, held_log] {
        h.stdin.take().unwrap().write_all(b"").unwrap();
        h.wait().unwrap();
    }
    let lines = stderr_lines(r.stderr.as_bytes());
    assert_eq!(r.code, 2, "{lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("report.csv") && lines[0].contains("open in another program"),
        "{lines:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "the old report\n"
    );
    assert_eq!(entries(dir.path()), ["report.csv", "w.log"]);
    let lines = stderr_lines(l.stderr.as_bytes());
    assert_eq!(l.code, 2, "{lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("cannot write the log"), "{lines:?}");
}

/// Paths past Windows' old 260-character limit, with spaces and non-ASCII
/// names, and the same paths in the verbatim `\\?\` form, with a drive
/// letter, and with forward slashes:
/// the catalog is read, the report and the log written, and the report
/// names the catalog as it was given.
#[test]
fn long_verbatim_and_drive_letter_paths_work() {
    let [t, a] = trust();
    let dir = tempfile::tempdir().unwrap();
    let mut deep = dir.path().to_path_buf();
    for i in 0..6 {
        deep.push(format!(
            "{i}-a folder name of fifty characters, more or less"
        ));
    }
    // Non-ASCII too: a German admin's folder and a Japanese one.
    deep.push("Überprüfung 更新プログラム");
    std::fs::create_dir_all(&deep).unwrap();
    let cab = deep.join("wsusscn2.cab");
    std::fs::copy(testdata("sample-wsusscn2.cab"), &cab).unwrap();
    assert!(cab.to_str().unwrap().len() > 300);
    let forms: Vec<fn(&Path) -> String> = if exe_is_windows() {
        vec![z, |p| format!(r"\\?\{}", z(p)), |p| z(p).replace('\\', "/")]
    } else {
        vec![|p| p.to_str().unwrap().to_string()]
    };
    for form in forms {
        let (report, log) = (deep.join("report.json"), deep.join("run.log"));
        let (c, o, l) = (form(&cab), form(&report), form(&log));
        let args = [
            "check", &t, &a, "--format", "json", "--output", &o, "--log", &l, &c,
        ];
        let r = run(args);
        assert_eq!(r.code, 1, "{c}: {}", r.stderr);
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(doc["catalog"]["path"], c.as_str());
        assert_eq!(doc["summary"]["verdict"], "incompatible", "{c}");
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(logged.contains("exit code 1"), "{c}: {logged}");
        std::fs::remove_file(&report).unwrap();
        std::fs::remove_file(&log).unwrap();
    }
}

/// A CSV report with Japanese, Cyrillic and accented titles: the file
/// starts with a UTF-8 byte order mark (so that Excel, which otherwise reads
/// a CSV in the ANSI code page, shows them), holds UTF-8 after it, and
/// stdout holds the same UTF-8 without the mark. JSON never has one. The
/// exe must not recode anything on the way.
#[test]
fn a_csv_report_file_is_utf8_with_a_bom_and_stdout_is_plain_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let cab = dir.path().join("langs.cab");
    let g = run([
        "generate",
        "--updates",
        "60",
        "--languages",
        "en,ja,ru,fr",
        "--output",
        &arg(&cab),
    ]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    for (lang, word) in [
        ("ja", "更新プログラム"),
        ("ru", "Обновление"),
        ("fr", "sécurité"),
    ] {
        let csv = dir.path().join(format!("{lang}.csv"));
        let json = dir.path().join(format!("{lang}.json"));
        let base = ["list", "--allow-unsigned", "--lang", lang];
        let to_file = |format: &str, out: &Path| {
            let mut v: Vec<String> = base.iter().map(|s| s.to_string()).collect();
            v.extend([
                "--format".into(),
                format.into(),
                "--output".into(),
                arg(out),
            ]);
            v.push(arg(&cab));
            run(v)
        };
        for (format, out) in [("csv", &csv), ("json", &json)] {
            let r = to_file(format, out);
            assert_eq!(r.code, 0, "{lang} {format}: {}", r.stderr);
        }
        let mut stdout_args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        stdout_args.extend(["--format".into(), "csv".into(), arg(&cab)]);
        let out = command().args(&stdout_args).output().unwrap();
        let file = std::fs::read(&csv).unwrap();
        assert_eq!(&file[..3], b"\xEF\xBB\xBF", "{lang}: a BOM");
        assert_eq!(
            &file[3..],
            &out.stdout[..],
            "{lang}: the same UTF-8 after it"
        );
        let text = std::str::from_utf8(&file[3..]).expect("UTF-8");
        assert!(text.contains(word), "{lang}: {word}");
        let json = std::fs::read(&json).unwrap();
        assert_eq!(json[0], b'{', "{lang}: no BOM in JSON");
        assert!(std::str::from_utf8(&json).unwrap().contains(word));
    }
}
