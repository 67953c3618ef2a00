//! Authenticode verification of a Microsoft cabinet file (such as
//! `wsusscn2.cab`) in pure Rust, without OpenSSL at run time.
//!
//! Why this module exists: Windows Update Agent refuses a catalog whose
//! Microsoft signature is invalid, and Microsoft's CDN has served corrupt
//! copies of the right size. Tools that read the catalog off Windows should
//! make the same check. The pieces:
//!
//! * [`preflight`]: O(1) header check, catches truncated/padded downloads;
//! * [`cab_digest`] / [`CabDigester`]: the CAB Authenticode digest, streamed;
//! * [`AuthenticodeSignature`]: PKCS#7 parsing and verification;
//! * [`TrustAnchors`]: whom to trust (Microsoft's 2010/2011 roots by default);
//! * [`verify`]: all of the above for a `Read + Seek`.
//!
//! The module has its own typed [`Error`], one variant per failure, so that a
//! caller can tell "download again" from "the bytes were altered" from
//! "signed, but not by anyone you trust". It converts into the crate's
//! [`crate::Error`] with `?` (see the `From` impl in `error.rs` for the
//! mapping to [`crate::ErrorKind`]). Design notes, the pinned root
//! fingerprints and where they are published: `docs/signature.md`.
//!
//! One-pass use, for a caller that reads the whole file anyway:
//!
//! ```no_run
//! # use std::io::{Read, Seek};
//! use wsuscat::trust::signature;
//!
//! # fn main() -> Result<(), signature::Error> {
//! let mut f = std::fs::File::open("wsusscn2.cab")?;
//! let len = f.metadata()?.len();
//! let pf = signature::preflight_reader(&mut f, len)?;
//! let layout = pf.signed.ok_or(signature::Error::Unsigned)?;
//! let sig = signature::AuthenticodeSignature::parse(&signature::read_signature_blob(&mut f, &layout)?)?;
//! let mut d = signature::CabDigester::new(&layout, &[sig.digest_algorithm()]);
//! f.rewind()?;
//! let mut buf = vec![0u8; 1 << 20];
//! loop {
//!     let n = f.read(&mut buf)?;
//!     if n == 0 { break; }
//!     d.update(&buf[..n]); // ... and decompress the same bytes here
//! }
//! let report = sig.verify_digests(&d.finalize()?, &signature::TrustAnchors::microsoft_default()?,
//!                                 std::time::SystemTime::now())?;
//! println!("signed by {}", report.signer_subject);
//! # Ok(()) }
//! ```
//!
//! No input makes this module panic: every parse path returns an [`Error`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod algorithm;
mod anchors;
mod asn1;
mod authenticode;
mod certs;
mod chain;
mod digest;
mod error;
mod header;
mod pkcs7;
mod timestamp;

pub use algorithm::{hex, DigestAlgorithm};
pub use anchors::{TrustAnchors, MICROSOFT_ROOT_2010_SHA256, MICROSOFT_ROOT_2011_SHA256};
pub use authenticode::{AuthenticodeSignature, SignatureReport, UtcTime};
pub use digest::{cab_digest, CabDigester, CabDigests};
pub use error::Error;
pub use header::{
    preflight, preflight_reader, read_signature_blob, Preflight, SignatureLayout, HEAD_LEN,
    MAX_SIGNATURE_LEN,
};
pub use timestamp::TimeSource;

use std::io::{Read, Seek};
use std::time::SystemTime;

/// Full verification of the cabinet in `r` (of length `file_len`): preflight,
/// signature parse, streamed digest, signer, timestamps and chain.
/// An unsigned cabinet gives [`Error::Unsigned`].
pub fn verify<R: Read + Seek>(
    r: &mut R,
    file_len: u64,
    anchors: &TrustAnchors,
    now: SystemTime,
) -> Result<SignatureReport, Error> {
    let pf = preflight_reader(r, file_len)?;
    let layout = pf.signed.ok_or(Error::Unsigned)?;
    let blob = read_signature_blob(r, &layout)?;
    let sig = AuthenticodeSignature::parse(&blob)?;
    let digest = cab_digest(r, &layout, sig.digest_algorithm())?;
    sig.verify(&digest, anchors, now)
}
