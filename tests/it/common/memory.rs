//! Peak memory of one wsuscat run, for the tests that hold every command to
//! its bound (issue 13).
//!
//! The figure is the child's own peak resident set (`ru_maxrss` from
//! `wait4` on that one pid), not `RUSAGE_CHILDREN`, which would mix in every
//! other child the parallel tests start. Linux reports it in KiB. Under a
//! runner (`wine`) the figure would be Wine's, so callers skip there.

use std::ffi::OsStr;
use std::process::{Command, Stdio};

/// How one run ended, and the most memory it held.
pub struct Measured {
    pub code: i32,
    pub stderr: String,
    /// Peak resident set in bytes.
    pub peak_rss: u64,
}

impl Measured {
    /// Peak resident set in MB (10^6 bytes), as docs/performance.md counts.
    pub fn peak_mb(&self) -> u64 {
        self.peak_rss / 1_000_000
    }
}

/// Whether peak RSS can be measured here: Unix, and no runner in between.
/// Prints a SKIP notice (counted by .ci/run) when it cannot.
pub fn measurable() -> bool {
    let runner = std::env::var_os("WSUSCAT_TEST_RUNNER").is_some_and(|r| !r.is_empty());
    if runner || !cfg!(unix) {
        super::skip("peak memory is measured only for a native Unix run (no WSUSCAT_TEST_RUNNER)");
        return false;
    }
    true
}

/// Measures the run from a fresh, small process. `ru_maxrss` outlives
/// `exec`: a child started straight from this test process (vfork or fork)
/// would report at least the test process's own peak, which holds whole
/// generated catalogs. Python's interpreter is exec'd fresh, so the wsuscat
/// it starts inherits only its few MB.
const MEASURE: &str = r#"
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(p.pid, 0)
code = os.waitstatus_to_exitcode(status)
p.returncode = code  # reaped by wait4: Popen must not wait again
if code < 0:
    sys.stderr.write("wsuscat was killed by signal %d\n" % -code)
    sys.exit(125)
print(code, usage.ru_maxrss * 1024)
"#;

/// Runs wsuscat with `args`, stdout discarded, and measures its peak RSS.
pub fn run<I, S>(args: I) -> Measured
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new("python3")
        .arg("-c")
        .arg(MEASURE)
        .arg(super::bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("start python3 to measure wsuscat");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "measuring failed: {stderr}");
    let mut fields = stdout.split_whitespace().map(|f| f.parse::<u64>());
    let (Some(Ok(code)), Some(Ok(peak_rss))) = (fields.next(), fields.next()) else {
        panic!("unexpected measurement {stdout:?}; stderr: {stderr}");
    };
    Measured {
        code: i32::try_from(code).expect("exit code"),
        stderr,
        peak_rss,
    }
}
