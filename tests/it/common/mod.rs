//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The wsuscat executable under test: `WSUSCAT_TEST_EXE` when set (a
/// `wsuscat.exe`, say), else the one cargo built for this test run.
pub fn bin() -> String {
    std::env::var("WSUSCAT_TEST_EXE").unwrap_or_else(|_| env!("CARGO_BIN_EXE_wsuscat").to_string())
}

/// Whether the executable under test is a Windows program: a native
/// Windows build, or a `.exe` run through Wine. To it a backslash separates
/// directories, even when the tests themselves run on Linux.
pub fn exe_is_windows() -> bool {
    cfg!(windows) || bin().to_ascii_lowercase().ends_with(".exe")
}

/// Whether a test of a Unix-only behaviour (signals, `ulimit -f`, device
/// nodes, symlinks, non-UTF-8 names) applies to the exe under test: false,
/// with a SKIP notice saying so, for a Windows exe (under Wine too).
pub fn unix_exe(what: &str) -> bool {
    if exe_is_windows() {
        skip(&format!(
            "{what}: Unix-only, not tested with a Windows exe ({})",
            bin()
        ));
        return false;
    }
    true
}

/// The executable under test as a shell command line (runner first, when
/// there is one), for tests that must start it through a shell.
pub fn command_line() -> String {
    note_exe_started();
    match std::env::var("WSUSCAT_TEST_RUNNER") {
        Ok(runner) if !runner.is_empty() => format!("{runner} {}", bin()),
        _ => bin(),
    }
}

/// A command that runs the executable under test: through
/// `WSUSCAT_TEST_RUNNER` when set (`wine`, for a `wsuscat.exe`), directly
/// otherwise. Every test that runs wsuscat starts it here, so the same tests
/// can be pointed at another build and platform.
pub fn command() -> Command {
    note_exe_started();
    match std::env::var_os("WSUSCAT_TEST_RUNNER").filter(|r| !r.is_empty()) {
        Some(runner) => {
            let mut cmd = Command::new(runner);
            cmd.arg(bin());
            cmd
        }
        None => Command::new(bin()),
    }
}

/// Appends the running test's name to the file `WSUSCAT_TEST_EXE_LOG`
/// names, when set: `.ci/windows.sh` counts from it how many tests started
/// the exe under test, so a test that passed without ever running
/// `wsuscat.exe` is not taken for one that did.
fn note_exe_started() {
    use std::io::Write;
    let Some(log) = std::env::var_os("WSUSCAT_TEST_EXE_LOG") else {
        return;
    };
    let name = std::thread::current()
        .name()
        .unwrap_or("<unnamed thread>")
        .to_string();
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = writeln!(f, "{name}");
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn testdata(name: &str) -> PathBuf {
    root().join("testdata").join(name)
}

/// The TEST ONLY root that signed the fixtures.
pub fn test_anchor() -> PathBuf {
    testdata("test-signing/test-root-ca.pem")
}

/// `--trust-anchor <the test root>`: fixtures verify only with it.
pub fn trust() -> [String; 2] {
    [
        "--trust-anchor".to_string(),
        test_anchor().display().to_string(),
    ]
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out: Output = command().args(args).output().expect("run wsuscat");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `check --format json` on a file, parsed.
pub fn check_json(path: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["check".to_string(), "--format".into(), "json".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(path.display().to_string());
    let r = run(&args);
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            r.stdout, r.stderr
        )
    });
    (r.code, v)
}

pub fn finding_revisions(report: &serde_json::Value) -> Vec<u64> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["revision_id"].as_u64().expect("numeric revision_id"))
        .collect()
}

/// Whether tests must fail (rather than skip) when a peer tool or the corpus
/// is missing. `.ci/run` sets it.
pub fn peers_required() -> bool {
    std::env::var_os("WSUSCAT_REQUIRE_PEERS").is_some_and(|v| v == "1")
}

/// The corpus directory, or None (with a printed notice) when absent.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("WSUSCAT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/cab-corpus"));
    if dir.is_dir() {
        Some(dir)
    } else if peers_required() {
        panic!(
            "WSUSCAT_REQUIRE_PEERS=1 but the corpus is not at {}",
            dir.display()
        );
    } else {
        skip(&format!(
            "no cab corpus at {} (set WSUSCAT_CORPUS)",
            dir.display()
        ));
        None
    }
}

/// Whether `tool` runs; prints a skip notice or fails under WSUSCAT_REQUIRE_PEERS.
pub fn have_tool(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty())
        .unwrap_or(false);
    if !ok {
        if peers_required() {
            panic!("WSUSCAT_REQUIRE_PEERS=1 but {tool} is not installed");
        }
        skip(&format!("{tool} is not installed"));
    }
    ok
}

/// Every member of `path` as `cabextract -p` writes it (file-table order,
/// concatenated), or None when cabextract fails. It runs in the file's own
/// directory so that it could find the other parts of a spanned set.
pub fn cabextract_p(path: &Path) -> Option<Vec<u8>> {
    let out = Command::new("cabextract")
        .arg("-q")
        .arg("-p")
        .arg(path)
        .current_dir(path.parent().unwrap())
        .output()
        .expect("run cabextract");
    out.status.success().then_some(out.stdout)
}

/// Writes bytes to a file in a fresh temp dir.
pub fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    (dir, path)
}

/// Every file under `dir` with extension `ext`, sorted.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The lines of stderr.
pub fn stderr_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Prints a skip notice that the test harness does not capture, so a run
/// without the peers says what it did not test.
/// The notice names the test last, in brackets, so that a count of tests
/// skipped can be made from the notices (.ci/windows.sh does).
pub fn skip(why: &str) {
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed thread>")
        .to_string();
    let _ = writeln!(std::io::stderr().lock(), "SKIP: {why} [{test}]");
}

pub mod signature;

pub mod lzx;

pub mod mutants;

pub mod pair;

pub mod memory;

/// A small generated catalog's parts, MSZIP inside and out, for tests that
/// assemble a catalog around a damaged index.xml or shard: the spec (for
/// `generate::assemble`) and package.cab.
pub fn small_catalog_parts(
    seed: u64,
    updates: usize,
    shards: usize,
) -> (wsuscat::commands::generate::Spec, Vec<u8>) {
    use wsuscat::cab::Compression;
    use wsuscat::commands::generate::{self, Spec};
    let spec = Spec {
        seed,
        updates,
        shards,
        outer: Compression::MsZip,
        inner: Compression::MsZip,
        ..Spec::default()
    };
    let g = generate::generate(&spec);
    let package_cab =
        generate::single_member_cab("package.xml", &g.package_xml, Compression::MsZip);
    (spec, package_cab)
}
