//! Peak memory of one wsuscat run, for the tests that hold every command to
//! its bound (issue 13).
//!
//! The figure is the child's own peak resident set (`ru_maxrss` from
//! `wait4` on that one pid), not `RUSAGE_CHILDREN`, which would mix in every
//! other child the parallel tests start. Under a runner (`wine`) the figure
//! would be Wine's, so callers skip there.

use std::ffi::OsStr;
use std::io::Read;
use std::process::Stdio;

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

/// Runs wsuscat with `args`, stdout discarded, and measures its peak RSS.
#[cfg(unix)]
pub fn run<I, S>(args: I) -> Measured
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut child = super::command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsuscat");
    let mut pipe = child.stderr.take().expect("stderr piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    });
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data that wait4 fills; the pid is our own
    // child, not yet waited for (std's Child is never waited on after this).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4: {}", std::io::Error::last_os_error());
    let stderr = reader.join().expect("stderr reader");
    assert!(
        libc::WIFEXITED(status),
        "wsuscat was killed (status {status:#x}); stderr: {stderr}"
    );
    Measured {
        code: libc::WEXITSTATUS(status),
        stderr,
        // Linux reports ru_maxrss in KiB.
        peak_rss: u64::try_from(usage.ru_maxrss).expect("non-negative") * 1024,
    }
}

#[cfg(not(unix))]
pub fn run<I, S>(_args: I) -> Measured
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    unreachable!("callers check measurable() first")
}
