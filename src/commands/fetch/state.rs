//! What `fetch` keeps beside FILE between runs: the validators of the last
//! verified download (`FILE.fetch.json`), and a partial download with its
//! own validators (`.FILE.wsuscat-part`, `.FILE.wsuscat-part.json`).
//!
//! Both are small JSON files written through a temp file and a rename, so
//! that an interrupted run leaves the old one or the new one. A file that
//! does not parse is treated as absent: the worst that costs is one
//! unconditional download, never a wrong "unchanged".

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The validators of the last download that passed verification and became
/// FILE. Saved only after the rename, so a copy that failed verification
/// never leaves validators behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// The URL asked for (before redirects): validators belong to it.
    pub url: String,
    /// Where the redirects ended.
    pub final_url: String,
    /// The server's ETag, verbatim (quotes and `W/` included).
    pub etag: Option<String>,
    /// The server's Last-Modified, verbatim.
    pub last_modified: Option<String>,
    /// FILE's size in bytes when it was put in place.
    pub size: u64,
    /// FILE's SHA-256 (lower-case hex) when it was put in place.
    pub sha256: String,
    /// When it was put in place (UTC, RFC 3339).
    pub fetched: String,
}

/// What a partial download was a part of: it may be continued only from the
/// same URL and only while the server still has the same representation
/// (`If-Range` with these validators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The URL asked for (before redirects).
    pub url: String,
    /// The representation's strong ETag, when it had one.
    pub etag: Option<String>,
    /// Its Last-Modified.
    pub last_modified: Option<String>,
    /// Its whole size, when the server said it.
    pub total: Option<u64>,
}

impl Part {
    /// The validator to send in `If-Range`: a strong ETag, else
    /// Last-Modified (RFC 9110 §13.1.5 allows a date). A weak ETag cannot
    /// prove that two byte ranges belong together.
    pub fn if_range(&self) -> Option<&str> {
        match &self.etag {
            Some(e) if !e.starts_with("W/") => Some(e),
            _ => self.last_modified.as_deref(),
        }
    }
}

/// `FILE.fetch.json`.
pub fn saved_path(file: &Path) -> PathBuf {
    suffixed(file, "", ".fetch.json")
}

/// `.FILE.wsuscat-part`: hidden on Unix, named after its owner so that an
/// administrator knows what a leftover is.
pub fn part_path(file: &Path) -> PathBuf {
    suffixed(file, ".", ".wsuscat-part")
}

/// `.FILE.wsuscat-part.json`.
pub fn part_meta_path(file: &Path) -> PathBuf {
    suffixed(file, ".", ".wsuscat-part.json")
}

fn suffixed(file: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let mut name = OsString::from(prefix);
    name.push(file.file_name().unwrap_or_default());
    name.push(suffix);
    file.with_file_name(name)
}

/// Reads a JSON state file; absent or unreadable is `None`. A JSON state
/// file is a few hundred bytes: more than 64 KiB is not one of ours.
pub fn load<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let mut text = Vec::new();
    File::open(path)
        .ok()?
        .take(64 << 10)
        .read_to_end(&mut text)
        .ok()?;
    serde_json::from_slice(&text).ok()
}

/// Writes a JSON state file through a temp file and a rename.
pub fn store<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let mut text = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    text.push(b'\n');
    let temp = suffixed(path, ".", &format!(".wsuscat-tmp-{}", std::process::id()));
    let result = File::create(&temp)
        .and_then(|mut f| f.write_all(&text).and_then(|()| f.sync_all()))
        .and_then(|()| crate::commands::replace_file(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Removes a file that may not exist.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The size and SHA-256 of a file, read once in 1 MiB pieces.
pub fn size_and_sha256(path: &Path) -> io::Result<(u64, String)> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `saved` still describes `file`: the same URL, and a file of the
/// saved size and SHA-256. Only then may a request be conditional: a FILE
/// that was deleted, replaced or damaged since must be downloaded again,
/// never reported "unchanged". Returns why not, for the log.
pub fn matches(saved: &Saved, url: &str, file: &Path) -> Result<(), String> {
    if saved.url != url {
        return Err(format!("the saved validators are for {}", saved.url));
    }
    if saved.etag.is_none() && saved.last_modified.is_none() {
        return Err("the server sent no ETag or Last-Modified last time".into());
    }
    let meta = match fs::metadata(file) {
        Ok(m) => m,
        Err(e) => return Err(format!("{} cannot be read: {e}", file.display())),
    };
    if meta.len() != saved.size {
        return Err(format!(
            "{} has {} bytes, not the {} saved",
            file.display(),
            meta.len(),
            saved.size
        ));
    }
    match size_and_sha256(file) {
        Ok((_, sha)) if sha == saved.sha256 => Ok(()),
        Ok(_) => Err(format!(
            "{} is not the file saved (SHA-256 differs)",
            file.display()
        )),
        Err(e) => Err(format!("{} cannot be read: {e}", file.display())),
    }
}
