//! `wsuscat fetch` against a real HTTP server on loopback
//! (tests/it/fetch_server.py, started here), serving the signed fixture
//! with ETag and Last-Modified and told to misbehave in the ways a CDN, a
//! proxy or a network does. Each case asserts the exit code, the files left
//! beside FILE and the log's lines.
//!
//! No test reaches an address outside loopback: the server and the proxy
//! bind 127.0.0.1, the proxy tunnels only to loopback, every fetch here
//! names its loopback URL ([`fetch`] refuses one that does not, so no test
//! can fall back to Microsoft's default URL), and the proxy variables of
//! the environment are removed unless a test sets them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common;

const SCRIPT: &str = "tests/it/fetch_server.py";
const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// A server or proxy process, killed when dropped.
struct Process {
    child: Child,
    port: u16,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `fetch_server.py ARGS` and reads the port it prints; None (with a
/// SKIP) when python3 is missing.
fn start(args: &[&str]) -> Option<Process> {
    if !common::have_tool("python3") {
        return None;
    }
    let mut child = Command::new("python3")
        .arg(common::root().join(SCRIPT))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start fetch_server.py");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("read the port");
    let port = line.trim().parse().unwrap_or_else(|_| {
        let _ = child.kill();
        panic!("fetch_server.py printed {line:?}, not a port")
    });
    Some(Process { child, port })
}

/// The test's server, its folder (the served file, its mode, its request
/// log) and a folder for FILE.
struct Server {
    process: Process,
    scheme: &'static str,
    served: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl Server {
    fn start() -> Option<Server> {
        Server::start_with(&[], "http")
    }

    fn start_with(tls: &[&Path], scheme: &'static str) -> Option<Server> {
        let served = tempfile::tempdir().unwrap();
        std::fs::copy(
            common::testdata("sample-wsusscn2.cab"),
            served.path().join("current"),
        )
        .unwrap();
        let dir = served.path().display().to_string();
        let mut args = vec!["serve", dir.as_str()];
        let tls: Vec<String> = tls.iter().map(|p| p.display().to_string()).collect();
        args.extend(tls.iter().map(String::as_str));
        let process = start(&args)?;
        Some(Server {
            process,
            scheme,
            served,
            work: tempfile::tempdir().unwrap(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.process.port)
    }

    fn mode(&self, mode: &str) {
        std::fs::write(self.served.path().join("mode"), mode).unwrap();
    }

    fn serve(&self, bytes: &[u8]) {
        std::fs::write(self.served.path().join("current"), bytes).unwrap();
    }

    /// The requests the server received, in order.
    fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.served.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn file(&self) -> PathBuf {
        self.work.path().join("wsusscn2.cab")
    }

    fn log(&self) -> PathBuf {
        self.work.path().join("fetch.log")
    }

    /// The files in FILE's folder, the log aside, sorted.
    fn left(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "fetch.log")
            .collect();
        names.sort();
        names
    }

    /// The messages of the log's lines so far.
    fn log_lines(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let re = regex::Regex::new(r"<!\[LOG\[(.*?)\]LOG\]!>").unwrap();
        re.captures_iter(&text).map(|c| c[1].to_string()).collect()
    }

    /// [`Server::log_has`], ignoring case: Windows reads environment
    /// variables without regard to case, so the name wsuscat asked for
    /// first (`http_proxy`) finds `HTTP_PROXY` there, and the log says so.
    fn log_has_any_case(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_lowercase();
        self.log_lines()
            .iter()
            .any(|l| l.to_ascii_lowercase().contains(&needle))
    }

    fn log_has(&self, needle: &str) -> bool {
        self.log_lines().iter().any(|l| l.contains(needle))
    }

    /// `wsuscat fetch URL -o FILE --log LOG --trust-anchor TEST --retry-wait 0 EXTRA…`.
    fn fetch(&self, path: &str, extra: &[&str]) -> common::Run {
        let mut args = vec![
            self.url(path),
            "-o".into(),
            self.file().display().to_string(),
        ];
        args.extend(["--log".to_string(), self.log().display().to_string()]);
        args.extend(common::trust());
        args.extend(["--retry-wait", "0", "--format", "json"].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        fetch(&args, &[])
    }
}

/// Runs `wsuscat fetch ARGS` with `env` and no other proxy variable. The
/// URL must be a loopback one: no test may reach out, or fall back to the
/// default URL.
fn fetch(args: &[String], env: &[(&str, String)]) -> common::Run {
    assert!(
        args.first().is_some_and(
            |u| u.starts_with("http://127.0.0.1:") || u.starts_with("https://127.0.0.1:")
        ),
        "a fetch test must name its loopback URL first: {args:?}"
    );
    let mut cmd = common::command();
    cmd.arg("fetch").args(args);
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run wsuscat");
    common::Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(run: &common::Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", run.stdout, run.stderr))
}

fn fixture() -> Vec<u8> {
    std::fs::read(common::testdata("sample-wsusscn2.cab")).unwrap()
}

const SAVED: &str = "wsusscn2.cab.fetch.json";
const PART: &str = ".wsusscn2.cab.wsuscat-part";
const PART_META: &str = ".wsusscn2.cab.wsuscat-part.json";

#[test]
fn fetched_then_unchanged_on_304() {
    let Some(s) = Server::start() else { return };
    let r = s.fetch("/wsusscn2.cab", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = json(&r);
    assert_eq!(doc["status"], "fetched");
    assert_eq!(doc["verify"]["package_xml"]["updates"], 400);
    assert_eq!(std::fs::read(s.file()).unwrap(), fixture());
    assert_eq!(s.left(), ["wsusscn2.cab", SAVED]);
    for step in [
        "unconditional request: no validators saved",
        "download verified",
        "replaced ",
        "validators saved to ",
    ] {
        assert!(s.log_has(step), "no {step:?} in {:#?}", s.log_lines());
    }

    let r = s.fetch("/wsusscn2.cab", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = json(&r);
    assert_eq!(doc["status"], "unchanged");
    assert!(doc["verify"].is_null());
    let last = s.requests().pop().unwrap();
    assert!(last["headers"]["if-none-match"].is_string(), "{last}");
    assert!(last["headers"]["if-modified-since"].is_string(), "{last}");
    assert!(
        s.log_has("304 Not Modified: unchanged"),
        "{:#?}",
        s.log_lines()
    );
    assert!(s.log_has("exit code 0 (a verified catalog is in place: fetched or unchanged)"));
    assert_eq!(std::fs::read(s.file()).unwrap(), fixture());
    assert_eq!(s.left(), ["wsusscn2.cab", SAVED]);
}

#[test]
fn a_deleted_or_altered_file_is_not_unchanged() {
    let Some(s) = Server::start() else { return };
    assert_eq!(s.fetch("/wsusscn2.cab", &[]).code, 0);
    std::fs::remove_file(s.file()).unwrap();
    let r = s.fetch("/wsusscn2.cab", &[]);
    assert_eq!(
        (r.code, json(&r)["status"].as_str()),
        (0, Some("fetched")),
        "{}",
        r.stderr
    );
    assert!(s.requests().pop().unwrap()["headers"]
        .get("if-none-match")
        .is_none());
    assert!(s.log_has("cannot be read"), "{:#?}", s.log_lines());

    // Same size, another byte: FILE is not what was saved.
    let mut altered = fixture();
    altered[100] ^= 1;
    std::fs::write(s.file(), &altered).unwrap();
    let r = s.fetch("/wsusscn2.cab", &[]);
    assert_eq!(
        (r.code, json(&r)["status"].as_str()),
        (0, Some("fetched")),
        "{}",
        r.stderr
    );
    assert!(
        s.log_has("is not the file saved (SHA-256 differs)"),
        "{:#?}",
        s.log_lines()
    );
    assert_eq!(std::fs::read(s.file()).unwrap(), fixture());
}

#[test]
fn a_dropped_connection_is_resumed_with_range() {
    let Some(s) = Server::start() else { return };
    s.mode("drop");
    let r = s.fetch("/wsusscn2.cab", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let half = fixture().len() as u64 / 2;
    assert_eq!(json(&r)["resumed_from"], half);
    assert_eq!(std::fs::read(s.file()).unwrap(), fixture());
    assert_eq!(s.left(), ["wsusscn2.cab", SAVED]);
    let requests = s.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_eq!(requests[1]["headers"]["range"], format!("bytes={half}-"));
    assert!(requests[1]["headers"]["if-range"].is_string());
    assert!(s.log_has("retry 1 of 3"), "{:#?}", s.log_lines());
    assert!(
        s.log_has(&format!("resume at byte {half} of {}", fixture().len())),
        "{:#?}",
        s.log_lines()
    );
}

#[test]
fn an_interrupted_run_is_continued_by_the_next() {
    let Some(s) = Server::start() else { return };
    s.mode("drop");
    let r = s.fetch("/wsusscn2.cab", &["--retries", "0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("wsusscn2.cab: "), "{}", r.stderr);
    // The half that arrived stays, with what it is part of; FILE does not exist.
    assert_eq!(s.left(), [PART, PART_META]);
    let half = fixture().len() as u64 / 2;
    assert_eq!(
        std::fs::metadata(s.work.path().join(PART)).unwrap().len(),
        half
    );
    let r = s.fetch("/wsusscn2.cab", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["resumed_from"], half);
    assert_eq!(json(&r)["received"], fixture().len() as u64 - half);
    assert_eq!(std::fs::read(s.file()).unwrap(), fixture());
    assert_eq!(s.left(), ["wsusscn2.cab", SAVED]);
    assert!(
        s.log_has(&format!("resume at byte {half}")),
        "{:#?}",
        s.log_lines()
    );
}

#[test]
fn a_server_that_ignores_range_restarts_from_zero() {
    let Some(s) = Server::start() else { return };
    s.mode("drop");
    assert_eq!(s.fetch("/wsusscn2.cab", &["--retries", "0"]).code, 2);
    assert_eq!(s.left(), [PART, PART_META]);
    s.mode("ignore-range");
    let r = s.fetch("/wsusscn2.cab", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(json(&r)["resumed_from"].is_null());
    assert_eq!(json(&r)["received"], fixture().len());
    assert!(s.requests().pop().unwrap()["headers"]["range"].is_string());
    assert!(
        s.log_has("restart from byte 0: the server ignored Range (200)"),
        "{:#?}",
        s.log_lines()
    );
    assert_eq!(std::fs::read(s.file()).unwrap(), fixture());
    assert_eq!(s.left(), ["wsusscn2.cab", SAVED]);
}

#[test]
fn a_wrong_content_length_is_a_network_error() {
    let Some(s) = Server::start() else { return };
    s.mode("badlength");
    let r = s.fetch("/wsusscn2.cab", &["--retries", "1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("announced"), "{}", r.stderr);
    assert!(r.stderr.contains("(after 2 attempts)"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_eq!(json(&r)["error"]["kind"], "network");
    assert!(!s.file().exists());
    assert!(!s.left().contains(&SAVED.to_string()), "{:?}", s.left());
    assert!(s.log_has("exit code 2"), "{:#?}", s.log_lines());
}

#[test]
fn a_503_twice_then_200_is_retried() {
    let Some(s) = Server::start() else { return };
    s.mode("flaky 2");
    let r = s.fetch("/wsusscn2.cab", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["attempts"], 3);
    assert!(s.log_has("retry 1 of 3"), "{:#?}", s.log_lines());
    assert!(s.log_has("retry 2 of 3"));
    assert!(s.log_has("HTTP 503 Service Unavailable"));
    assert_eq!(s.left(), ["wsusscn2.cab", SAVED]);

    // More failures than retries: exit 2, nothing written.
    let s = Server::start().unwrap();
    s.mode("flaky 9");
    let r = s.fetch("/wsusscn2.cab", &["--retries", "2"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("HTTP 503 Service Unavailable (after 3 attempts)"),
        "{}",
        r.stderr
    );
    assert_eq!(s.requests().len(), 3);
    assert!(s.left().is_empty(), "{:?}", s.left());
}

#[test]
fn redirects_are_followed_and_bounded() {
    let Some(s) = Server::start() else { return };
    let r = s.fetch("/redirect/1", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = json(&r);
    assert_eq!(doc["final_url"], s.url("/wsusscn2.cab"));
    assert_eq!(doc["url"], s.url("/redirect/1"));
    assert!(
        s.log_has(&format!("redirect 302 to {}", s.url("/redirect/0"))),
        "{:#?}",
        s.log_lines()
    );

    let r = s.fetch("/loop", &["--max-redirects", "3"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("more than 3 redirects"), "{}", r.stderr);
    assert_eq!(std::fs::read(s.file()).unwrap(), fixture());

    // An HTTP error is not retried: it will be the same next time.
    let r = s.fetch("/missing", &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("HTTP 404 Not Found"), "{}", r.stderr);
    assert_eq!(
        s.requests()
            .iter()
            .filter(|q| q["path"] == "/missing")
            .count(),
        1
    );
}

/// The fixture with one byte flipped in its compressed data: the same
/// size, so only verification can tell.
fn corrupt() -> Vec<u8> {
    let mut bytes = fixture();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    bytes
}

#[test]
fn a_corrupt_copy_of_the_same_size_never_becomes_file_or_unchanged() {
    let Some(s) = Server::start() else { return };
    // No FILE yet: the corrupt download is refused and removed, twice.
    s.serve(&corrupt());
    for _ in 0..2 {
        let r = s.fetch("/wsusscn2.cab", &[]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(r.stderr.contains("removed,"), "{}", r.stderr);
        assert!(s.left().is_empty(), "{:?}", s.left());
        assert!(
            s.log_has("download rejected and removed"),
            "{:#?}",
            s.log_lines()
        );
    }
    // A good FILE, then the server's copy turns corrupt: FILE and its
    // validators stay as they were, and the next fetch is not "unchanged".
    s.serve(&fixture());
    assert_eq!(s.fetch("/wsusscn2.cab", &[]).code, 0);
    let saved = std::fs::read(s.work.path().join(SAVED)).unwrap();
    s.serve(&corrupt());
    for _ in 0..2 {
        let r = s.fetch("/wsusscn2.cab", &[]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert_eq!(std::fs::read(s.file()).unwrap(), fixture());
        assert_eq!(std::fs::read(s.work.path().join(SAVED)).unwrap(), saved);
        assert_eq!(s.left(), ["wsusscn2.cab", SAVED]);
    }
    assert!(s.requests().pop().unwrap()["headers"]["if-none-match"].is_string());
    assert!(
        s.log_has("exit code 3 (the download failed verification)"),
        "{:#?}",
        s.log_lines()
    );
}

#[test]
fn a_stalled_connection_times_out() {
    let Some(s) = Server::start() else { return };
    s.mode("stall");
    let r = s.fetch("/wsusscn2.cab", &["--timeout", "1", "--retries", "0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("stalled: nothing received for 1 s"),
        "{}",
        r.stderr
    );
    assert!(!s.file().exists());
    assert!(s.log_has("exit code 2"), "{:#?}", s.log_lines());
}

#[test]
fn a_proxy_from_the_environment_is_used_unless_no_proxy() {
    let Some(s) = Server::start() else { return };
    let proxy_log = s.work.path().join("proxy.log");
    let Some(proxy) = start(&["proxy", &proxy_log.display().to_string()]) else {
        return;
    };
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let args = |extra: &str| {
        let mut a = vec![
            s.url("/wsusscn2.cab"),
            "-o".into(),
            s.file().display().to_string(),
        ];
        a.extend([
            "--log".into(),
            s.log().display().to_string(),
            "--retry-wait".into(),
            "0".into(),
        ]);
        a.extend(common::trust());
        a.push(extra.to_string());
        a
    };
    let r = fetch(&args("--quiet"), &[("HTTP_PROXY", proxy_url.clone())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tunnels = std::fs::read_to_string(&proxy_log).unwrap_or_default();
    assert!(
        tunnels.contains(&format!("CONNECT 127.0.0.1:{}", s.process.port)),
        "{tunnels:?}"
    );
    let via = format!("via proxy 127.0.0.1:{} (http_proxy)", proxy.port);
    assert!(s.log_has_any_case(&via), "{:#?}", s.log_lines());

    std::fs::remove_file(&proxy_log).unwrap();
    let env = [
        ("http_proxy", proxy_url),
        ("NO_PROXY", "localhost,127.0.0.1".to_string()),
    ];
    let r = fetch(&args("--quiet"), &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!proxy_log.exists(), "NO_PROXY went through the proxy");
}

/// A test CA and a certificate for 127.0.0.1 it issued, made with the
/// openssl command line in `dir`: (ca.pem, server.pem, server.key). None,
/// with a SKIP, when openssl is missing.
fn test_ca(dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    if !common::have_tool("openssl") {
        return None;
    }
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=wsuscat fetch TEST CA",
    ]);
    ca.extend([
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    run(&ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    run(&csr);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    Some((
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    ))
}

#[test]
fn https_with_a_test_ca_directly_and_through_a_proxy() {
    let certs = tempfile::tempdir().unwrap();
    let Some((ca, cert, key)) = test_ca(certs.path()) else {
        return;
    };
    let Some(s) = Server::start_with(&[&cert, &key], "https") else {
        return;
    };
    let ca_arg = ca.display().to_string();

    // The platform's roots do not know the test CA: refused, not retried.
    let r = s.fetch("/wsusscn2.cab", &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(!s.log_has("retry 1 of"), "{:#?}", s.log_lines());
    assert!(s.left().is_empty(), "{:?}", s.left());

    let r = s.fetch("/wsusscn2.cab", &["--tls-ca", &ca_arg]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["final_url"], s.url("/wsusscn2.cab"));
    assert_eq!(std::fs::read(s.file()).unwrap(), fixture());

    let proxy_log = s.work.path().join("proxy.log");
    let Some(proxy) = start(&["proxy", &proxy_log.display().to_string()]) else {
        return;
    };
    std::fs::remove_file(s.file()).unwrap();
    let mut args = vec![
        s.url("/wsusscn2.cab"),
        "-o".into(),
        s.file().display().to_string(),
    ];
    args.extend([
        "--log".into(),
        s.log().display().to_string(),
        "--tls-ca".into(),
        ca_arg,
    ]);
    args.extend(common::trust());
    let r = fetch(
        &args,
        &[("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port))],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tunnels = std::fs::read_to_string(&proxy_log).unwrap_or_default();
    assert!(
        tunnels.contains(&format!("CONNECT 127.0.0.1:{}", s.process.port)),
        "{tunnels:?}"
    );
    assert!(s.log_has_any_case("(https_proxy)"), "{:#?}", s.log_lines());
    assert_eq!(std::fs::read(s.file()).unwrap(), fixture());
}

#[test]
fn bad_arguments_are_usage_errors_before_any_request() {
    let Some(s) = Server::start() else { return };
    let missing = s
        .work
        .path()
        .join("no-such-anchor.pem")
        .display()
        .to_string();
    let r = s.fetch("/wsusscn2.cab", &["--trust-anchor", &missing]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = s.fetch("/wsusscn2.cab", &["--tls-ca", &missing]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let mut args = vec![s.url("/wsusscn2.cab"), "-o".into()];
    args.push(
        s.work
            .path()
            .join("no-such-dir")
            .join("x.cab")
            .display()
            .to_string(),
    );
    let r = fetch(&args, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("its folder does not exist"),
        "{}",
        r.stderr
    );
    assert!(s.requests().is_empty(), "{:#?}", s.requests());
    assert!(s.left().is_empty(), "{:?}", s.left());
}

/// `fetch --install-to TARGET`: a new catalog that passes is installed (the
/// run's report and exit code are install's); the same catalog again (304,
/// TARGET already has its bytes) installs nothing and exits 0; a new one
/// that the check refuses leaves TARGET as it was with exit 1, and keeps
/// failing on the next, unchanged, run rather than passing as "unchanged".
#[test]
fn install_to_chains_the_gate_and_an_unchanged_catalog_is_not_installed_twice() {
    let Some(s) = Server::start() else { return };
    let clean = std::fs::read(common::testdata("clean-wsusscn2.cab")).unwrap();
    s.serve(&clean);
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("PkgSource")).unwrap();
    let target = site.path().join("PkgSource").join("wsusscn2.cab");
    let to = target.display().to_string();
    let install = ["--install-to", to.as_str()];

    let r = s.fetch("/wsusscn2.cab", &install);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["install"]["outcome"], "installed", "{}", r.stdout);
    assert_eq!(std::fs::read(&target).unwrap(), clean);
    assert!(s.log_has("download verified"), "{:#?}", s.log_lines());

    let r = s.fetch("/wsusscn2.cab", &install);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["status"], "unchanged", "{}", r.stdout);
    assert!(s.log_has("nothing to install"), "{:#?}", s.log_lines());
    assert!(
        !site.path().join("wsuscat-previous").exists(),
        "nothing was replaced, so nothing was kept"
    );

    s.serve(&fixture());
    for run in ["new", "unchanged"] {
        let r = s.fetch("/wsusscn2.cab", &install);
        assert_eq!(r.code, 1, "{run}: {}", r.stderr);
        assert_eq!(
            json(&r)["install"]["outcome"],
            "refused",
            "{run}: {}",
            r.stdout
        );
        assert_eq!(
            std::fs::read(&target).unwrap(),
            clean,
            "{run}: TARGET untouched"
        );
        assert_eq!(
            std::fs::read(s.file()).unwrap(),
            fixture(),
            "{run}: FILE is the download"
        );
    }
    assert!(s.log_has("304 Not Modified: unchanged"));
}
