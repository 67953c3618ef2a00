//! Helpers for the `signature_*` integration tests (the Authenticode
//! verifier in `wsuscat::trust::signature`). Corpus lookup, tool detection and the
//! skip-or-fail policy come from the parent module; these only add what the
//! signature tests need on top.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wsuscat::trust::signature::{self, SignatureLayout, SignatureReport, TrustAnchors};

/// A corpus file's bytes.
pub fn read(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// A fixed instant inside every corpus certificate's validity
/// (2026-11-27T00:00:00Z; the generated test root starts 2026-11-23).
pub fn fixed_now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_737_600)
}

/// Seconds since the Unix epoch as a `SystemTime`.
pub fn unix(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Verify an in-memory cabinet.
pub fn verify_bytes(
    bytes: &[u8],
    anchors: &TrustAnchors,
    now: SystemTime,
) -> Result<SignatureReport, signature::Error> {
    let mut c = std::io::Cursor::new(bytes);
    signature::verify(&mut c, bytes.len() as u64, anchors, now)
}

/// Signature layout of an in-memory signed cabinet.
pub fn layout(bytes: &[u8]) -> SignatureLayout {
    signature::preflight(bytes, bytes.len() as u64)
        .expect("preflight")
        .signed
        .expect("signed")
}

/// A fresh scratch directory outside the repository, removed on drop.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("wsuscat-signature-test-")
        .tempdir()
        .expect("tempdir")
}
