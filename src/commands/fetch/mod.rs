//! `fetch`: download the catalog over HTTP(S), prove it, and only then put
//! it in place.
//!
//! The download streams into a partial file beside FILE
//! (`.FILE.wsuscat-part`), never into FILE, and never into memory. When it
//! is complete, the caller's *gate* judges it (the binary passes `verify`:
//! the size preflight, every checksum, the Authenticode signature); only if
//! the gate passes is it renamed over FILE, and only then are its
//! validators (ETag, Last-Modified, size, SHA-256) saved beside FILE as
//! `FILE.fetch.json`. So a corrupt copy never becomes FILE and never
//! becomes "unchanged" later.
//!
//! A later run sends `If-None-Match` / `If-Modified-Since` from those
//! validators, but only while FILE still has the saved size and SHA-256: a
//! FILE deleted, replaced or damaged since is downloaded again. A 304 is
//! [`FetchStatus::Unchanged`].
//!
//! An interrupted download is continued with `Range: bytes=N-` and
//! `If-Range` (a strong ETag, else Last-Modified): on 206 the rest is
//! appended; on 200 (the server ignores ranges, or the file changed) it
//! starts again from byte 0. Connection failures, timeouts and 5xx answers
//! are retried a bounded number of times with exponential backoff, each
//! retry continuing where the last one stopped when it can.
//!
//! The gate is the caller's, not a call to another command: commands do
//! not call each other (docs/design.md), and the caller may want more
//! than `verify` (`install` runs `check` too).

mod http;
pub mod proxy;
pub mod state;

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use ureq::http::StatusCode;

use crate::error::{Error, ErrorKind, Result};
use http::{network, Failure};
use state::{Part, Saved};

/// The catalog's address as Microsoft publishes it ("Using WUA to scan
/// for updates offline"): a link that redirects to the download server.
/// Used only when the caller gives no URL.
pub const DEFAULT_URL: &str = "http://go.microsoft.com/fwlink/?LinkId=76054";

/// The most a download may be: a cabinet's size field is 32 bits, and its
/// signature follows it. A server that announces or sends more is not
/// sending a catalog, and is not allowed to fill the disk.
pub const MAX_DOWNLOAD_BYTES: u64 = (4 << 30) + (16 << 20);

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// What to download.
    pub url: String,
    /// Where the verified catalog goes. Its partial download and its saved
    /// validators live beside it.
    pub file: PathBuf,
    /// How long connecting (TCP, TLS, a proxy's CONNECT) may take.
    pub connect_timeout: Duration,
    /// How long the server may send nothing (headers or body) before the
    /// attempt fails as stalled.
    pub read_timeout: Duration,
    /// How many times a failed attempt is retried (connection dropped or
    /// refused, timeout, 5xx, 408, 429).
    pub retries: u32,
    /// The wait before the first retry; it doubles for each one after
    /// (capped at a minute).
    pub retry_wait: Duration,
    /// How many redirects to follow.
    pub max_redirects: u32,
    /// PEM files of CA certificates to trust for TLS instead of the
    /// platform's roots (a TLS-inspecting proxy's root, a test CA).
    pub tls_ca: Vec<PathBuf>,
    /// The environment, for the proxy variables (`std::env::var` unless a
    /// test says otherwise).
    pub env: fn(&str) -> Option<String>,
}

impl FetchOptions {
    /// Defaults (timeouts 30 s, 3 retries from 2 s, 10 redirects) for
    /// `url` into `file`.
    pub fn new(url: impl Into<String>, file: impl Into<PathBuf>) -> FetchOptions {
        FetchOptions {
            url: url.into(),
            file: file.into(),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(30),
            retries: 3,
            retry_wait: Duration::from_secs(2),
            max_redirects: 10,
            tls_ca: Vec::new(),
            env: |name| std::env::var(name).ok(),
        }
    }
}

/// A step of a fetch, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchEvent {
    /// No conditional request is sent, and why (no saved validators, or
    /// FILE no longer matches them).
    Unconditional {
        /// Why.
        reason: String,
    },
    /// A partial download was thrown away before starting, and why.
    Discarded {
        /// Why.
        reason: String,
    },
    /// A request is sent.
    Request {
        /// To where.
        url: String,
        /// Through which proxy, when one.
        proxy: Option<String>,
        /// The conditional and range headers sent, as `Name: value`.
        headers: Vec<String>,
    },
    /// The server redirected.
    Redirect {
        /// Its status (301, 302, 303, 307, 308).
        status: u16,
        /// The next URL.
        to: String,
    },
    /// 304: FILE is the server's current catalog.
    NotModified,
    /// The download continues a partial one from byte `from`.
    Resume {
        /// The first byte asked for.
        from: u64,
        /// The whole size, when known.
        total: Option<u64>,
    },
    /// The partial download is dropped and the download starts from 0.
    Restart {
        /// Why (the server ignored Range, the file changed, …).
        reason: String,
    },
    /// An attempt failed and will be retried after `wait`.
    Retry {
        /// The retry's number, from 1.
        attempt: u32,
        /// How many retries are allowed.
        of: u32,
        /// The wait before it.
        wait: Duration,
        /// What failed, one line.
        error: String,
    },
    /// The whole body arrived.
    Downloaded {
        /// Bytes of the whole file.
        size: u64,
        /// Bytes received in this run.
        received: u64,
    },
    /// The gate passed the download.
    Verified,
    /// The gate refused the download; it was removed, FILE untouched.
    Rejected {
        /// The gate's error, one line.
        error: String,
    },
    /// The download became FILE.
    Replaced {
        /// FILE.
        file: String,
    },
    /// The validators were saved.
    Saved {
        /// The validators' file.
        path: String,
    },
    /// Something worth a warning that does not fail the fetch.
    Warning {
        /// What.
        message: String,
    },
}

/// What a fetch tells as it goes: its steps (for a log) and its progress
/// over the body (for a bar). Every method does nothing by default.
pub trait FetchObserver {
    /// A step.
    fn event(&self, _event: &FetchEvent) {}
    /// A body starts: its whole size when known, and the byte it starts at.
    fn start(&self, _total: Option<u64>, _from: u64) {}
    /// Bytes of the file on disk so far.
    fn position(&self, _bytes: u64) {}
    /// The body ended, whether or not it failed.
    fn finish(&self) {}
}

/// Observes nothing.
impl FetchObserver for () {}

use FetchEvent as Event;
use FetchObserver as Observer;

/// Whether the fetch brought a new catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchStatus {
    /// A new catalog was downloaded, passed the gate and replaced FILE.
    Fetched,
    /// The server answered 304: FILE is its current catalog.
    Unchanged,
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchReport {
    /// Fetched or unchanged.
    pub status: FetchStatus,
    /// The URL asked for.
    pub url: String,
    /// Where the redirects ended.
    pub final_url: String,
    /// FILE: where the verified catalog is.
    pub file: String,
    /// FILE's size in bytes.
    pub size: u64,
    /// FILE's SHA-256, lower-case hex.
    pub sha256: String,
    /// The ETag of FILE's download.
    pub etag: Option<String>,
    /// The Last-Modified of FILE's download.
    pub last_modified: Option<String>,
    /// The byte the last body started at, when it continued a partial
    /// download (of this run's earlier attempt, or of an earlier run).
    pub resumed_from: Option<u64>,
    /// Bytes received in this run.
    pub received: u64,
    /// Attempts made (1 when the first succeeded).
    pub attempts: u32,
    /// The file holding the saved validators.
    pub validators: String,
}

/// A fetch's report and, for a new catalog, what the gate returned.
#[derive(Debug)]
pub struct Fetched<G> {
    /// What happened.
    pub report: FetchReport,
    /// The gate's result, for [`FetchStatus::Fetched`].
    pub verified: Option<G>,
}

/// Fetches `options.url` into `options.file`, with `gate` judging the
/// complete download before it may replace FILE. Returns
/// [`FetchStatus::Unchanged`] on a 304; errors are [`ErrorKind::Network`]
/// for the server and the wire, the gate's own for a download it refused
/// (removed, with FILE and the saved validators untouched), `Io` for the
/// disk, `Usage` for bad options.
pub fn fetch<G>(
    options: &FetchOptions,
    observer: &dyn FetchObserver,
    gate: &mut dyn FnMut(&Path) -> Result<G>,
) -> Result<Fetched<G>> {
    check_target(&options.file)?;
    let roots = http::roots(options)?;
    let paths = Paths::of(&options.file);
    let conditional = conditional(options, &paths, observer);
    let mut run = Run {
        options,
        observer,
        roots,
        paths,
        part: None,
        conditional,
        received: 0,
        resumed_from: None,
        attempts: 0,
    };
    run.part = run.usable_part();
    match run.download()? {
        Step::NotModified(final_url) => Ok(run.unchanged(final_url)),
        Step::Complete(done) => run.put_in_place(done, gate),
        Step::Restart => unreachable!("download() handles restarts"),
    }
}

/// The files beside FILE.
struct Paths {
    file: PathBuf,
    saved: PathBuf,
    part: PathBuf,
    part_meta: PathBuf,
}

impl Paths {
    fn of(file: &Path) -> Paths {
        Paths {
            file: file.to_path_buf(),
            saved: state::saved_path(file),
            part: state::part_path(file),
            part_meta: state::part_meta_path(file),
        }
    }
}

/// FILE must be a file name in a folder that exists, and not a folder.
fn check_target(file: &Path) -> Result<()> {
    let usage = |m: &str| Err(Error::new(ErrorKind::Usage, m.to_string()).with_file(file));
    if file.file_name().is_none() {
        return usage("-o needs a file name, not a folder");
    }
    if file.is_dir() {
        return usage("is a folder: -o names the catalog file to write");
    }
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return usage("its folder does not exist");
    }
    Ok(())
}

/// The saved validators, when a request may be conditional on them.
fn conditional(options: &FetchOptions, paths: &Paths, observer: &dyn Observer) -> Option<Saved> {
    let Some(saved) = state::load::<Saved>(&paths.saved) else {
        let reason = if paths.saved.exists() {
            format!(
                "{} cannot be read as saved validators",
                paths.saved.display()
            )
        } else {
            "no validators saved from an earlier fetch".to_string()
        };
        observer.event(&Event::Unconditional { reason });
        return None;
    };
    match state::matches(&saved, &options.url, &paths.file) {
        Ok(()) => Some(saved),
        Err(reason) => {
            observer.event(&Event::Unconditional { reason });
            None
        }
    }
}

/// A download that arrived whole in the partial file.
struct Done {
    final_url: String,
    part: Part,
}

/// What one attempt came to.
enum Step {
    NotModified(String),
    Complete(Done),
    /// Drop the partial file and ask again from byte 0, now.
    Restart,
}

struct Run<'a> {
    options: &'a FetchOptions,
    observer: &'a dyn Observer,
    roots: ureq::tls::RootCerts,
    paths: Paths,
    /// The partial download being continued, and what it is part of.
    part: Option<Part>,
    conditional: Option<Saved>,
    received: u64,
    resumed_from: Option<u64>,
    attempts: u32,
}

impl Run<'_> {
    /// The partial download left by an earlier run, when it can be
    /// continued: from the same URL, with a validator for `If-Range`, and
    /// no longer than the whole it was part of. Anything else is removed.
    fn usable_part(&self) -> Option<Part> {
        let len = std::fs::metadata(&self.paths.part).ok().map(|m| m.len());
        let meta = state::load::<Part>(&self.paths.part_meta);
        let reason = match (len, &meta) {
            (None, None) => return None,
            (None, Some(_)) => "its data file is missing".to_string(),
            (Some(0), _) => "it is empty".to_string(),
            (Some(_), None) => "what it was part of was not recorded".to_string(),
            (Some(n), Some(m)) => {
                if m.url != self.options.url {
                    format!("it was a download of {}", m.url)
                } else if m.if_range().is_none() {
                    "the server gave no strong ETag or Last-Modified to continue it by".into()
                } else if m.total.is_some_and(|t| n > t) {
                    format!("it has {n} bytes, more than the whole ({:?})", m.total)
                } else {
                    return meta;
                }
            }
        };
        self.observer.event(&Event::Discarded { reason });
        self.drop_part();
        None
    }

    fn drop_part(&self) {
        let _ = state::remove(&self.paths.part);
        let _ = state::remove(&self.paths.part_meta);
    }

    /// Downloads until the partial file is complete (`Some`) or the server
    /// says FILE is current (`None`), retrying what may succeed.
    fn download(&mut self) -> Result<Step> {
        let mut restarts = 0;
        loop {
            self.attempts += 1;
            match self.attempt() {
                Ok(Step::NotModified(final_url)) => {
                    // The partial download (if any) was of another version.
                    self.part = None;
                    self.drop_part();
                    return Ok(Step::NotModified(final_url));
                }
                Ok(done @ Step::Complete(_)) => return Ok(done),
                // At most twice: a server that keeps contradicting its own
                // ranges is not helped by asking again.
                Ok(Step::Restart) if restarts < 2 => {
                    restarts += 1;
                    self.attempts -= 1;
                    self.part = None;
                    self.drop_part();
                }
                Ok(Step::Restart) => {
                    return Err(network(
                        &self.options.file,
                        format!(
                            "{}: the server's ranges keep contradicting the download",
                            self.options.url
                        ),
                    ))
                }
                Err(f) if f.retry && self.attempts <= self.options.retries => {
                    let wait = backoff(self.options.retry_wait, self.attempts);
                    self.observer.event(&Event::Retry {
                        attempt: self.attempts,
                        of: self.options.retries,
                        wait,
                        error: f.error.to_string(),
                    });
                    std::thread::sleep(wait);
                }
                Err(f) if f.retry => {
                    let attempts = self.attempts;
                    let message = format!(
                        "{} (after {attempts} attempt{})",
                        f.error.message(),
                        if attempts == 1 { "" } else { "s" }
                    );
                    return Err(f.error.with_message(message));
                }
                Err(f) => return Err(f.error),
            }
        }
    }
}

/// The wait before retry `n` (from 1): `first`, doubled each time, at
/// most a minute.
fn backoff(first: Duration, n: u32) -> Duration {
    let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
    first
        .checked_mul(factor)
        .unwrap_or(Duration::MAX)
        .min(Duration::from_secs(60))
}

/// How the body of a 200 or 206 is to be written.
struct Body {
    /// The byte of the file it starts at.
    from: u64,
    /// How many bytes it announced, when it did.
    length: Option<u64>,
    /// The whole file's size, when known.
    total: Option<u64>,
}

impl Run<'_> {
    /// The request's headers: identity (the file's own bytes, never a
    /// compressed form of them), the conditional ones, and a range that
    /// continues the partial download.
    fn request_headers(&self, from: u64) -> Vec<(&'static str, String)> {
        let mut headers: Vec<(&'static str, String)> = vec![("Accept-Encoding", "identity".into())];
        if let Some(saved) = &self.conditional {
            if let Some(etag) = &saved.etag {
                headers.push(("If-None-Match", etag.clone()));
            }
            if let Some(lm) = &saved.last_modified {
                headers.push(("If-Modified-Since", lm.clone()));
            }
        }
        let if_range = self
            .part
            .as_ref()
            .and_then(|p| p.if_range().map(str::to_string));
        if let (Some(validator), true) = (&if_range, from > 0) {
            headers.push(("Range", format!("bytes={from}-")));
            headers.push(("If-Range", validator.clone()));
            self.observer.event(&Event::Resume {
                from,
                total: self.part.as_ref().and_then(|p| p.total),
            });
        }
        headers
    }

    /// One request and, on 200 or 206, its body into the partial file.
    fn attempt(&mut self) -> std::result::Result<Step, Failure> {
        let from = match &self.part {
            Some(_) => std::fs::metadata(&self.paths.part).map_or(0, |m| m.len()),
            None => 0,
        };
        let headers = self.request_headers(from);
        let (response, final_url) = http::get(
            self.options,
            &self.roots,
            &self.options.url,
            &headers,
            self.observer,
        )?;
        let status = response.status();
        let file = &self.options.file;
        let url = &final_url;
        match status {
            StatusCode::NOT_MODIFIED if self.conditional.is_some() => {
                self.observer.event(&Event::NotModified);
                return Ok(Step::NotModified(final_url));
            }
            StatusCode::RANGE_NOT_SATISFIABLE if from > 0 => {
                self.observer.event(&Event::Restart {
                    reason: format!("the server cannot continue from byte {from} (416)"),
                });
                return Ok(Step::Restart);
            }
            StatusCode::OK | StatusCode::PARTIAL_CONTENT => {}
            s if s.is_server_error()
                || s == StatusCode::REQUEST_TIMEOUT
                || s == StatusCode::TOO_MANY_REQUESTS =>
            {
                return Err(Failure {
                    error: network(file, format!("{url}: HTTP {s}")),
                    retry: true,
                })
            }
            s => return Err(Failure::fatal(network(file, format!("{url}: HTTP {s}")))),
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let length = match header("content-length") {
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                Failure::fatal(network(
                    file,
                    format!("{url}: Content-Length {v:?} is not a number"),
                ))
            })?),
            None => None,
        };
        let body = if status == StatusCode::PARTIAL_CONTENT {
            match self.continuation(from, header("content-range"), length, url)? {
                Some(body) => body,
                None => return Ok(Step::Restart),
            }
        } else {
            if from > 0 {
                let changed = header("etag") != self.part.as_ref().and_then(|p| p.etag.clone());
                self.observer.event(&Event::Restart {
                    reason: if changed {
                        "the file changed on the server (200 with another ETag): starting from byte 0".into()
                    } else {
                        "the server ignored Range (200): starting from byte 0".into()
                    },
                });
            }
            self.part = Some(Part {
                url: self.options.url.clone(),
                etag: header("etag"),
                last_modified: header("last-modified"),
                total: length,
            });
            Body {
                from: 0,
                length,
                total: length,
            }
        };
        // The body that completes the file says whether it continued one.
        self.resumed_from = (body.from > 0).then_some(body.from);
        let part = self.part.clone().expect("set above");
        self.record_part(&part)?;
        self.stream(response.into_body(), &body, url)?;
        Ok(Step::Complete(Done { final_url, part }))
    }

    /// The body of a 206: it must continue the partial file exactly
    /// (`Content-Range: bytes FROM-END/TOTAL`, its length END-FROM+1). A
    /// range that does not is a restart, not an error: the file may have
    /// changed between two runs.
    fn continuation(
        &self,
        from: u64,
        range: Option<String>,
        length: Option<u64>,
        url: &str,
    ) -> std::result::Result<Option<Body>, Failure> {
        let file = &self.options.file;
        if from == 0 {
            return Err(Failure::fatal(network(
                file,
                format!("{url}: 206 Partial Content to a request without Range"),
            )));
        }
        let parsed = range.as_deref().and_then(parse_content_range);
        let Some((start, end, total)) = parsed else {
            return Err(Failure::fatal(network(
                file,
                format!("{url}: 206 with Content-Range {range:?}, not bytes START-END/TOTAL"),
            )));
        };
        let known = self.part.as_ref().and_then(|p| p.total);
        if start != from
            || total.is_some_and(|t| end + 1 != t)
            || known.is_some_and(|k| total.is_some_and(|t| t != k))
        {
            self.observer.event(&Event::Restart {
                reason: format!("the server sent bytes {start}-{end}/{total:?}, which do not continue the {from} bytes downloaded"),
            });
            return Ok(None);
        }
        let announced = end - start + 1;
        if length.is_some_and(|l| l != announced) {
            return Err(Failure::fatal(network(
                file,
                format!("{url}: Content-Length {length:?} contradicts Content-Range {range:?}"),
            )));
        }
        Ok(Some(Body {
            from,
            length: Some(announced),
            total: total.or(known),
        }))
    }

    /// Records what the partial file is part of, before its bytes arrive,
    /// so that an interruption leaves a partial download that can be
    /// continued. Without a validator it cannot be, and is not recorded.
    fn record_part(&self, part: &Part) -> std::result::Result<(), Failure> {
        let result = if part.if_range().is_some() {
            state::store(&self.paths.part_meta, part)
        } else {
            state::remove(&self.paths.part_meta)
        };
        result.map_err(|e| Failure::fatal(disk(&self.paths.part_meta, "cannot write", e)))
    }
}

/// `bytes START-END/TOTAL` (TOTAL may be `*`).
fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end: u64 = end.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    (start <= end).then_some((start, end, total))
}

/// An I/O error on a file beside FILE.
fn disk(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}"))
        .with_file(path)
        .with_source(e)
}

impl Run<'_> {
    /// Streams `body` into the partial file at `spec.from`, 64 KiB at a
    /// time: memory holds one buffer, whatever the size. A short body (the
    /// connection closed before the announced length) is a failure to
    /// retry; the bytes that did arrive stay for the retry to continue.
    fn stream(
        &mut self,
        body: ureq::Body,
        spec: &Body,
        url: &str,
    ) -> std::result::Result<(), Failure> {
        let file = &self.options.file;
        if let Some(total) = spec.total.or(spec.length.map(|l| spec.from + l)) {
            if total > MAX_DOWNLOAD_BYTES {
                return Err(Failure::fatal(too_large(file, url, total)));
            }
        }
        let part_path = self.paths.part.clone();
        let fail_disk = |e| Failure::fatal(disk(&part_path, "cannot write the download", e));
        let mut out = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(spec.from == 0)
            .open(&part_path)
            .map_err(fail_disk)?;
        out.set_len(spec.from).map_err(fail_disk)?;
        out.seek(SeekFrom::Start(spec.from)).map_err(fail_disk)?;
        self.observer.start(spec.total, spec.from);
        let result = self.copy(body, &mut out, spec, url);
        self.observer.finish();
        let written = result?;
        if let Some(length) = spec.length {
            if written != length {
                return Err(Failure {
                    error: network(
                        file,
                        format!(
                            "{url}: the connection closed after {written} of the {length} bytes announced"
                        ),
                    ),
                    retry: true,
                });
            }
        }
        out.sync_all().map_err(fail_disk)?;
        self.observer.event(&Event::Downloaded {
            size: spec.from + written,
            received: self.received,
        });
        Ok(())
    }

    fn copy(
        &mut self,
        body: ureq::Body,
        out: &mut File,
        spec: &Body,
        url: &str,
    ) -> std::result::Result<u64, Failure> {
        let file = &self.options.file;
        let mut reader = body.into_reader();
        let mut buf = vec![0u8; 64 << 10];
        let mut written = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(written),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.body_failure(e, written, spec, url)),
            };
            let n64 = n as u64;
            if spec.from + written + n64 > MAX_DOWNLOAD_BYTES {
                return Err(Failure::fatal(too_large(
                    file,
                    url,
                    spec.from + written + n64,
                )));
            }
            if spec.length.is_some_and(|l| written + n64 > l) {
                return Err(Failure::fatal(network(
                    file,
                    format!(
                        "{url}: the server sent more than the {:?} bytes it announced",
                        spec.length
                    ),
                )));
            }
            out.write_all(&buf[..n]).map_err(|e| {
                Failure::fatal(disk(&self.paths.part, "cannot write the download", e))
            })?;
            written += n64;
            self.received += n64;
            self.observer.position(spec.from + written);
        }
    }

    /// A body that stopped: a connection closed early, a stall, a reset.
    /// Always worth a retry, which continues from what arrived.
    fn body_failure(&self, e: std::io::Error, written: u64, spec: &Body, url: &str) -> Failure {
        let file = &self.options.file;
        let of = spec
            .length
            .map_or(String::new(), |l| format!(" of the {l} announced"));
        let e = ureq::Error::from(e);
        let message = match &e {
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                format!("{url}: the connection closed after {written} bytes{of}")
            }
            ureq::Error::Timeout(_) => format!(
                "{url}: stalled: nothing received for {} s, after {written} bytes{of}",
                self.options.read_timeout.as_secs_f64()
            ),
            other => format!("{url}: {other} (after {written} bytes{of})"),
        };
        Failure {
            error: network(file, message).with_source(e),
            retry: true,
        }
    }

    /// The report of a 304.
    fn unchanged<G>(self, final_url: String) -> Fetched<G> {
        let saved = self
            .conditional
            .expect("a 304 answers a conditional request");
        Fetched {
            report: FetchReport {
                status: FetchStatus::Unchanged,
                url: self.options.url.clone(),
                final_url,
                file: self.paths.file.display().to_string(),
                size: saved.size,
                sha256: saved.sha256,
                etag: saved.etag,
                last_modified: saved.last_modified,
                resumed_from: None,
                received: self.received,
                attempts: self.attempts,
                validators: self.paths.saved.display().to_string(),
            },
            verified: None,
        }
    }

    /// Judges the complete download with `gate`; if it passes, renames it
    /// over FILE, then saves its validators. If it fails, it is removed and
    /// nothing else changes.
    fn put_in_place<G>(
        self,
        done: Done,
        gate: &mut dyn FnMut(&Path) -> Result<G>,
    ) -> Result<Fetched<G>> {
        let paths = &self.paths;
        let verified = match gate(&paths.part) {
            Ok(v) => v,
            Err(e) => {
                self.drop_part();
                self.observer.event(&Event::Rejected {
                    error: e.to_string(),
                });
                let message = format!(
                    "{} (the download from {}; removed, {} untouched)",
                    e.message(),
                    done.final_url,
                    paths.file.display()
                );
                return Err(e.with_message(message));
            }
        };
        self.observer.event(&Event::Verified);
        let (size, sha256) = state::size_and_sha256(&paths.part)
            .map_err(|e| disk(&paths.part, "cannot read the download", e))?;
        if let Err(e) = crate::commands::replace_file(&paths.part, &paths.file) {
            self.drop_part();
            return Err(disk(
                &paths.file,
                "cannot replace it with the verified download",
                e,
            ));
        }
        self.observer.event(&Event::Replaced {
            file: paths.file.display().to_string(),
        });
        let _ = state::remove(&paths.part_meta);
        let saved = Saved {
            url: self.options.url.clone(),
            final_url: done.final_url.clone(),
            etag: done.part.etag.clone(),
            last_modified: done.part.last_modified.clone(),
            size,
            sha256: sha256.clone(),
            fetched: now_utc(),
        };
        match state::store(&paths.saved, &saved) {
            Ok(()) => self.observer.event(&Event::Saved {
                path: paths.saved.display().to_string(),
            }),
            // FILE is verified and in place; without its validators the next
            // fetch is unconditional, which costs a download, nothing more.
            Err(e) => {
                let _ = state::remove(&paths.saved);
                self.observer.event(&Event::Warning {
                    message: format!(
                        "{}: cannot save the validators ({e}); the next fetch downloads again",
                        paths.saved.display()
                    ),
                })
            }
        }
        Ok(Fetched {
            report: FetchReport {
                status: FetchStatus::Fetched,
                url: self.options.url.clone(),
                final_url: done.final_url,
                file: paths.file.display().to_string(),
                size,
                sha256,
                etag: done.part.etag,
                last_modified: done.part.last_modified,
                resumed_from: self.resumed_from,
                received: self.received,
                attempts: self.attempts,
                validators: paths.saved.display().to_string(),
            },
            verified: Some(verified),
        })
    }
}

fn too_large(file: &Path, url: &str, bytes: u64) -> Error {
    Error::new(
        ErrorKind::Limit,
        format!(
            "{url}: {bytes} bytes is more than a catalog can be (at most {MAX_DOWNLOAD_BYTES})"
        ),
    )
    .with_file(file)
}

/// Now, as `YYYY-MM-DDTHH:MM:SSZ`.
fn now_utc() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    der::DateTime::from_unix_duration(Duration::from_secs(now.as_secs()))
        .map_or_else(|_| format!("@{}", now.as_secs()), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 10-19/20"),
            Some((10, 19, Some(20)))
        );
        assert_eq!(parse_content_range("bytes 10-19/*"), Some((10, 19, None)));
        assert_eq!(parse_content_range("bytes 19-10/20"), None);
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = Duration::from_secs;
        assert_eq!(backoff(s(2), 1), s(2));
        assert_eq!(backoff(s(2), 3), s(8));
        assert_eq!(backoff(s(2), 40), s(60));
        assert_eq!(backoff(Duration::ZERO, 5), Duration::ZERO);
    }
}
