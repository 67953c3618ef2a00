//! `install NEW --to TARGET`: the gate in front of a sync. TARGET is
//! replaced only by a copy that passed check and verify; on anything else
//! it stays byte-identical, with no temp file beside it; the previous
//! generation is kept outside TARGET's folder and pruned to `--keep`; an
//! interrupt leaves TARGET old or new, whole.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

/// The names in a directory, sorted; empty when it does not exist.
fn names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A work folder with `live/wsusscn2.cab` holding `old` (none when `None`):
/// the folder a sync reads.
struct Live {
    work: tempfile::TempDir,
}

impl Live {
    fn new(old: Option<&[u8]>) -> Live {
        let work = tempfile::tempdir().unwrap();
        std::fs::create_dir(work.path().join("live")).unwrap();
        let live = Live { work };
        if let Some(bytes) = old {
            std::fs::write(live.target(), bytes).unwrap();
        }
        live
    }

    fn target(&self) -> PathBuf {
        self.work.path().join("live").join("wsusscn2.cab")
    }

    /// The default keep folder: `wsuscat-previous/live` beside `live`.
    fn keep_dir(&self) -> PathBuf {
        self.work.path().join("wsuscat-previous").join("live")
    }

    fn install(&self, new: &Path, extra: &[&str]) -> Run {
        let [t, a] = trust();
        let target = self.target().display().to_string();
        let new = new.display().to_string();
        let mut args = vec!["install", &t, &a, "--no-progress", "--to", &target];
        args.extend_from_slice(extra);
        args.push(&new);
        run(args)
    }

    /// Asserts that TARGET is `old` and that nothing else is in its folder.
    fn untouched(&self, old: &[u8], what: &str) {
        assert!(
            std::fs::read(self.target()).unwrap() == old,
            "{what}: TARGET changed"
        );
        assert_eq!(
            names(&self.target().with_file_name("")),
            ["wsusscn2.cab"],
            "{what}: a temp file was left beside TARGET"
        );
    }
}

/// The last part of a path the exe under test printed, whichever its
/// separator.
fn last_part(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap()
}

const OLD: &[u8] = b"the catalog the sync read yesterday\n";

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", r.stdout, r.stderr))
}

/// A passing catalog replaces TARGET byte for byte; the previous one is
/// kept (a hard link on the same volume) in `wsuscat-previous/live`, and
/// generations beyond `--keep` are removed oldest first.
#[test]
fn a_passing_catalog_replaces_the_target_and_the_previous_ones_are_kept_up_to_keep() {
    let live = Live::new(Some(OLD));
    let clean = testdata("clean-wsusscn2.cab");
    let new = std::fs::read(&clean).unwrap();
    let r = live.install(&clean, &["--format", "json", "--keep", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert!(
        std::fs::read(live.target()).unwrap() == new,
        "TARGET is not NEW"
    );
    let doc = json(&r);
    assert_eq!(doc["install"]["outcome"], "installed");
    assert_eq!(doc["check"]["summary"]["verdict"], "compatible");
    assert_eq!(doc["verify"]["verdict"], "intact");
    // The exe under Wine names it Z:\tmp\…: the last part is the name.
    let kept = live
        .keep_dir()
        .join(last_part(doc["install"]["kept"]["path"].as_str().unwrap()));
    assert_eq!(names(&live.keep_dir()).len(), 1);
    assert_eq!(
        std::fs::read(&kept).unwrap(),
        OLD,
        "the previous one is kept"
    );
    let name = kept.file_name().unwrap().to_str().unwrap();
    assert!(
        name.len() == "wsusscn2.20250612T033012Z.cab".len()
            && name.starts_with("wsusscn2.")
            && name.ends_with("Z.cab"),
        "{name}"
    );
    assert_eq!(names(&live.target().with_file_name("")), ["wsusscn2.cab"]);

    // Four more: each keeps the one before it, and only two stay. The
    // oldest, OLD, is among the first removed.
    let mut pruned = Vec::new();
    for n in 2..=5 {
        let r = live.install(&clean, &["--format", "json", "--keep", "2"]);
        assert_eq!(r.code, 0, "install {n}: {}", r.stderr);
        for p in json(&r)["install"]["pruned"].as_array().unwrap() {
            pruned.push(live.keep_dir().join(last_part(p.as_str().unwrap())));
        }
        let generations = names(&live.keep_dir());
        assert_eq!(generations.len(), n.min(2), "install {n}: {generations:?}");
    }
    assert_eq!(pruned.len(), 3, "{pruned:?}");
    assert_eq!(pruned[0], kept, "the oldest goes first");
    for g in names(&live.keep_dir()) {
        let bytes = std::fs::read(live.keep_dir().join(&g)).unwrap();
        assert!(
            bytes == new,
            "{g}: a kept generation is not the one it replaced"
        );
    }
    assert!(std::fs::read(live.target()).unwrap() == new);
}

/// `--keep-dir` puts the generations where it says; `--keep 0` keeps none.
#[test]
fn keep_dir_and_keep_zero_are_honoured() {
    let live = Live::new(Some(OLD));
    let clean = testdata("clean-wsusscn2.cab");
    let elsewhere = live.work.path().join("archive");
    let dir = elsewhere.display().to_string();
    let r = live.install(&clean, &["--keep-dir", &dir, "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let kept = names(&elsewhere);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(elsewhere.join(&kept[0])).unwrap(), OLD);
    assert!(
        !live.keep_dir().exists(),
        "the default keep folder was used"
    );

    let live = Live::new(Some(OLD));
    let r = live.install(&clean, &["--keep", "0", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(json(&r)["install"]["kept"].is_null());
    assert!(!live.keep_dir().exists(), "--keep 0 made a keep folder");
    assert!(std::fs::read(live.target()).unwrap() == std::fs::read(&clean).unwrap());
}

/// JSON Lines ends with the install event and CSV is one row, each
/// agreeing with the JSON report.
#[test]
fn the_report_formats_agree() {
    let clean = testdata("clean-wsusscn2.cab");
    let live = Live::new(Some(OLD));
    let doc = json(&live.install(&clean, &["--format", "json"]));
    let live = Live::new(Some(OLD));
    let r = live.install(&clean, &["--format", "jsonl"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["catalog", "summary", "verify", "install"]);
    assert_eq!(events[3]["outcome"], doc["install"]["outcome"]);
    let live = Live::new(Some(OLD));
    let r = live.install(&clean, &["--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert_eq!(lines[0], wsuscat::report::INSTALL_CSV_COLUMNS.join(","));
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(row[2], "installed");
    assert_eq!(row[4], doc["check"]["catalog"]["sha256"]);
    assert_eq!(row[11], "hard_link");
}

/// The first install: there is no TARGET yet, so it is created and nothing
/// is kept (not even an empty keep folder).
#[test]
fn a_first_install_creates_the_target_and_keeps_nothing() {
    let live = Live::new(None);
    let clean = testdata("clean-wsusscn2.cab");
    let r = live.install(&clean, &["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = json(&r);
    assert_eq!(doc["install"]["replaced"], false);
    assert!(doc["install"]["kept"].is_null());
    assert!(std::fs::read(live.target()).unwrap() == std::fs::read(&clean).unwrap());
    assert_eq!(names(live.work.path()), ["live"]);
}

/// An incompatible catalog (check exit 1) is not installed: TARGET stays
/// byte-identical, no temp file, no generation kept; the report and the
/// log say so.
#[test]
fn an_incompatible_catalog_is_not_installed_and_exits_1() {
    let live = Live::new(Some(OLD));
    let log = live.work.path().join("wsuscat.log");
    let log_arg = log.display().to_string();
    let r = live.install(
        &testdata("sample-wsusscn2.cab"),
        &["--format", "json", "--log", &log_arg],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    live.untouched(OLD, "incompatible");
    assert_eq!(names(live.work.path()), ["live", "wsuscat.log"]);
    let doc = json(&r);
    assert_eq!(doc["install"]["outcome"], "refused");
    assert_eq!(doc["check"]["summary"]["verdict"], "incompatible");
    assert!(
        doc["verify"].is_null(),
        "verify runs only after check passed"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("verdict INCOMPATIBLE"), "{text}");
    assert!(text.contains("not installed: the check found"), "{text}");
    assert!(
        text.contains("exit code 1 (incompatible, not installed)"),
        "{text}"
    );

    let r = live.install(&testdata("sample-wsusscn2.cab"), &[]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("Result    NOT INSTALLED"), "{}", r.stdout);
}

/// An unusable catalog (exit 3 from check, or from verify: a flipped byte
/// in a shard that check does not decode) is not installed: one line on
/// stderr naming NEW and saying TARGET is unchanged.
#[test]
fn an_unusable_catalog_is_not_installed_and_exits_3() {
    for broken in [
        "broken-truncated.cab",
        "broken-not-a-cab.cab",
        "broken-malformed-xml.cab",
        "broken-no-package-xml.cab",
        "broken-flipped-byte.cab",
    ] {
        let live = Live::new(Some(OLD));
        let new = testdata(broken);
        let r = live.install(&new, &[]);
        assert_eq!(r.code, 3, "{broken}: {}", r.stderr);
        let lines = stderr_lines(r.stderr.as_bytes());
        assert_eq!(lines.len(), 1, "{broken}: {lines:?}");
        assert!(
            lines[0].starts_with(&format!("wsuscat: error: {}: ", new.display())),
            "{broken}: the error names the copy, not NEW: {lines:?}"
        );
        assert!(
            lines[0].ends_with(&format!(
                "not installed: {} is unchanged",
                live.target().display()
            )),
            "{broken}: {lines:?}"
        );
        live.untouched(OLD, broken);
        assert_eq!(names(live.work.path()), ["live"], "{broken}");
    }
}

/// An unsigned catalog is refused (3) unless --allow-unsigned, like check;
/// the trust options reach verify too.
#[test]
fn an_unsigned_catalog_needs_allow_unsigned() {
    let live = Live::new(Some(OLD));
    let cab = live.work.path().join("unsigned.cab");
    let g = run(["generate", "--updates", "50", "-o", cab.to_str().unwrap()]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    let r = live.install(&cab, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("--allow-unsigned"), "{}", r.stderr);
    live.untouched(OLD, "unsigned");
    let r = live.install(&cab, &["--allow-unsigned"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read(live.target()).unwrap() == std::fs::read(&cab).unwrap());
}

/// Errors of the environment are exit 2, one line, TARGET untouched.
#[test]
fn a_missing_folder_or_new_file_is_exit_2_and_one_line() {
    let live = Live::new(Some(OLD));
    let clean = testdata("clean-wsusscn2.cab");
    let nowhere = live.work.path().join("no-such-folder").join("wsusscn2.cab");
    let [t, a] = trust();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "TARGET's folder missing",
            vec![
                "--to".into(),
                nowhere.display().to_string(),
                clean.display().to_string(),
            ],
        ),
        (
            "NEW missing",
            vec![
                "--to".into(),
                live.target().display().to_string(),
                live.work.path().join("nothing.cab").display().to_string(),
            ],
        ),
        (
            "NEW is TARGET",
            vec![
                "--to".into(),
                live.target().display().to_string(),
                live.target().display().to_string(),
            ],
        ),
        (
            "TARGET is a folder",
            vec![
                "--to".into(),
                live.work.path().join("live").display().to_string(),
                clean.display().to_string(),
            ],
        ),
    ];
    for (what, args) in cases {
        let mut all = vec!["install".to_string(), t.clone(), a.clone()];
        all.extend(args);
        let r = run(&all);
        assert_eq!(r.code, 2, "{what}: {}", r.stderr);
        let lines = stderr_lines(r.stderr.as_bytes());
        assert_eq!(lines.len(), 1, "{what}: {lines:?}");
        live.untouched(OLD, what);
        assert_eq!(names(live.work.path()), ["live"], "{what}");
    }
}

/// A TARGET another program has open. Unix replaces it under the reader,
/// which keeps reading the old file. Windows refuses the rename while a
/// program holds it without sharing delete: after the retries, exit 2 with
/// one line, TARGET untouched, no temp file, no extra generation.
#[test]
fn a_target_another_program_has_open() {
    let live = Live::new(Some(OLD));
    let clean = testdata("clean-wsusscn2.cab");
    if !exe_is_windows() {
        let mut held = std::fs::File::open(live.target()).unwrap();
        let r = live.install(&clean, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut old = Vec::new();
        held.read_to_end(&mut old).unwrap();
        assert_eq!(old, OLD, "the reader keeps the old file");
        assert!(std::fs::read(live.target()).unwrap() == std::fs::read(&clean).unwrap());
        return;
    }
    let Some(holder) = std::env::var_os("WSUSCAT_TEST_HOLD_OPEN") else {
        skip("WSUSCAT_TEST_HOLD_OPEN (hold-open.exe, which .ci/windows.sh builds) is not set");
        return;
    };
    let windows_target = format!("Z:{}", live.target().to_str().unwrap().replace('/', "\\"));
    let mut hold = Command::new("wine")
        .arg(&holder)
        .arg(&windows_target)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = String::new();
    BufReader::new(hold.stdout.take().unwrap())
        .read_line(&mut said)
        .unwrap();
    assert_eq!(said.trim(), "held");
    let r = live.install(&clean, &[]);
    hold.stdin.take().unwrap().write_all(b"").unwrap();
    hold.wait().unwrap();
    let lines = stderr_lines(r.stderr.as_bytes());
    assert_eq!(r.code, 2, "{lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("wsusscn2.cab") && lines[0].contains("open in another program"),
        "{lines:?}"
    );
    live.untouched(OLD, "held open");
    assert_eq!(
        names(&live.keep_dir()),
        Vec::<String>::new(),
        "the generation kept for a replacement that failed is removed"
    );
}

/// Interrupts an install of a larger catalog at many points: TARGET is
/// always the old file or the new one, whole; after SIGTERM or SIGINT no
/// temp file is left (SIGKILL cannot be caught: it may leave the hidden
/// `.wsusscn2.cab.wsuscat-install-PID`, never a partial TARGET).
#[cfg(unix)]
#[test]
fn an_interrupt_at_any_point_leaves_the_old_or_the_new_target_whole() {
    if !unix_exe("SIGTERM and SIGKILL at points of an install") {
        return;
    }
    use std::time::{Duration, Instant};
    let work = tempfile::tempdir().unwrap();
    let new = work.path().join("new.cab");
    let g = run([
        "generate",
        "--updates",
        "20000",
        "-o",
        new.to_str().unwrap(),
    ]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    let new_bytes = std::fs::read(&new).unwrap();
    let args = |target: &Path| -> Vec<String> {
        vec![
            "install".into(),
            "--allow-unsigned".into(),
            "--threads".into(),
            "1".into(),
            "--quiet".into(),
            "--to".into(),
            target.display().to_string(),
            new.display().to_string(),
        ]
    };
    // How long an install takes here, so that the signals land across the
    // whole run on a fast machine or a slow one.
    let reference = tempfile::tempdir_in(work.path()).unwrap();
    std::fs::create_dir(reference.path().join("live")).unwrap();
    let target = reference.path().join("live").join("wsusscn2.cab");
    std::fs::write(&target, OLD).unwrap();
    let started = Instant::now();
    let r = run(args(&target));
    let full = started.elapsed();
    assert_eq!(r.code, 0, "{}", r.stderr);

    let mut outcomes = Vec::new();
    for signal in ["TERM", "KILL", "INT"] {
        for tenth in 0..=12u32 {
            let dir = tempfile::tempdir_in(work.path()).unwrap();
            let live = dir.path().join("live");
            std::fs::create_dir(&live).unwrap();
            let target = live.join("wsusscn2.cab");
            std::fs::write(&target, OLD).unwrap();
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
            let bytes = std::fs::read(&target).unwrap();
            let installed = bytes == new_bytes;
            assert!(
                installed || bytes == OLD,
                "{signal} at {tenth}/10: TARGET is neither the old nor the new file ({} bytes)",
                bytes.len()
            );
            let temp = format!(".wsusscn2.cab.wsuscat-install-{}", child.id());
            let stray: Vec<String> = names(&live)
                .into_iter()
                .filter(|n| n != "wsusscn2.cab" && !(signal == "KILL" && *n == temp))
                .collect();
            assert!(stray.is_empty(), "{signal} at {tenth}/10 left {stray:?}");
            // The keep folder holds whole generations only (each the old
            // file), never a partial copy or a temp file.
            let keep = dir.path().join("wsuscat-previous").join("live");
            for g in names(&keep) {
                assert!(!g.starts_with('.'), "{signal} at {tenth}/10 left {g}");
                assert_eq!(std::fs::read(keep.join(&g)).unwrap(), OLD, "{g}");
            }
            if signal != "KILL" {
                assert!(
                    matches!(status.code(), Some(130 | 0) | None),
                    "{signal} at {tenth}/10: {status:?}"
                );
            }
            outcomes.push((signal, status.code(), installed));
        }
    }
    // Only worth something if some signals landed mid-run.
    assert!(
        outcomes
            .iter()
            .any(|(s, c, i)| *s != "KILL" && *c == Some(130) && !i),
        "no signal arrived before the install ended: {outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|(s, c, _)| *s == "KILL" && c.is_none()),
        "no SIGKILL arrived before the install ended: {outcomes:?}"
    );
}
