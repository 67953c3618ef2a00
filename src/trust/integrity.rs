//! Is the file intact, and is it genuinely the publisher's?
//!
//! Two checks run before anything is believed about a catalog's content:
//! the O(1) *preflight* (the header's sizes against the file's real size, so a
//! truncated or padded download is caught before any decompression), and the
//! *Authenticode* signature, whose digest covers nearly every byte of the
//! file. The same read pass that hashes the file for its SHA-256 identity
//! feeds the Authenticode digest, so verifying costs no second read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cab::walk::BlockWalk;
use crate::cab::{Cabinet, Header};
use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind, Result};
use crate::trust::signature::{
    self, AuthenticodeSignature, CabDigester, SignatureLayout, TrustAnchors,
};

/// What to demand of the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignaturePolicy {
    /// A valid signature chaining to a trust anchor is required (the default).
    Require,
    /// Verify a signature if there is one; accept a cabinet without one and
    /// report it as unsigned.
    AllowUnsigned,
    /// Do not look at the signature; the report says so.
    Skip,
}

/// The policy and whom to trust.
#[derive(Debug, Clone)]
pub struct TrustOptions {
    /// Whether a signature is required, optional, or not looked at
    /// (`--allow-unsigned`, `--no-verify`).
    pub policy: SignaturePolicy,
    /// PEM or DER files whose certificates replace the default anchors
    /// (Microsoft Root Certificate Authority 2010 and 2011).
    pub anchor_files: Vec<PathBuf>,
    /// Also hash the whole file for its SHA-256 (what `Get-FileHash` and
    /// `sha256sum` print) when the signature's digest is computed. The
    /// two hashes diverge at the file's fifth byte, so this is a second
    /// full SHA-256 pass, on the critical path of `check` on two cores;
    /// without it the identity is the signed content's digest. When no
    /// signature is checked, the one pass computes the file's SHA-256
    /// whatever this says. See docs/design.md, "Hash once".
    pub file_sha256: bool,
}

impl Default for TrustOptions {
    fn default() -> Self {
        TrustOptions {
            policy: SignaturePolicy::Require,
            anchor_files: Vec::new(),
            file_sha256: false,
        }
    }
}

impl TrustOptions {
    /// Loads the anchors: the given files, or Microsoft's code-signing roots.
    /// An anchor file that cannot be read or parsed is named as the error's
    /// file: the fault is there, not in the catalog.
    pub fn anchors(&self) -> Result<TrustAnchors> {
        if self.anchor_files.is_empty() {
            return TrustAnchors::microsoft_default().map_err(Error::from);
        }
        let mut anchors = TrustAnchors::empty();
        for path in &self.anchor_files {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::new(
                    ErrorKind::Usage,
                    format!("cannot load the trust anchors: cannot read: {e}"),
                )
                .with_source(e)
                .with_file(path)
            })?;
            let loaded = TrustAnchors::from_pem_or_der(&bytes).map_err(|e| {
                Error::from(crate::trust::signature::Error::TrustAnchor {
                    reason: e.to_string(),
                })
                .with_file(path)
            })?;
            anchors.extend(loaded);
        }
        Ok(anchors)
    }
}

/// What the signature check established, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Verified: digest, signer signature, chain to an anchor.
    Verified(Box<SignatureSummary>),
    /// No signature, accepted because unsigned cabinets were allowed.
    Unsigned,
    /// Not checked at the caller's request.
    NotChecked,
}

/// The facts an administrator reads off a verified signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureSummary {
    /// Subject of the signing certificate, as RFC 4514 text.
    pub signer_subject: String,
    /// Issuer of the signing certificate, as RFC 4514 text.
    pub signer_issuer: String,
    /// Serial number of the signing certificate, lower-case hex (without
    /// the leading zero byte DER adds to keep a number positive).
    pub signer_serial: String,
    /// Algorithm of the cabinet digest the signature covers: `SHA-1`,
    /// `SHA-256`, `SHA-384` or `SHA-512`.
    pub digest_algorithm: String,
    /// RFC 3339 UTC, when the signature carries a time.
    pub signing_time: Option<String>,
    /// `rfc3161`, `countersignature`, `signed_attribute` or `none`.
    pub signing_time_source: String,
    /// Whether the time comes from a timestamp that itself verified.
    pub timestamp_verified: bool,
    /// Subjects from the signer to the anchor.
    pub chain: Vec<String>,
    /// Subject of the trust anchor the chain reached.
    pub anchor_subject: String,
    /// SHA-256 fingerprint of the trust anchor's certificate (of its DER
    /// encoding), lower-case hex.
    pub anchor_sha256: String,
    /// Remarks that did not fail the check, as sentences (an untrusted
    /// timestamp and why, a nested signature ignored …); empty when none.
    pub notes: Vec<String>,
}

/// The result of the O(1) preflight.
#[derive(Debug, Clone, Copy)]
pub struct Preflighted {
    /// The file's size in bytes when the preflight ran; the hashing pass
    /// fails if it reads a different number.
    pub file_len: u64,
    /// Where the Authenticode signature lies, as the header declares it;
    /// `None` when the cabinet carries no signature.
    pub signed: Option<SignatureLayout>,
    /// The file's modification time when the preflight ran, where the
    /// platform has one; [`recheck`] compares it.
    pub modified: Option<SystemTime>,
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot open: {e}"))
            .with_source(e)
            .with_file(path)
    })
}

/// Checks the header's sizes against the file's, reading only the header.
/// The file must be a regular file: a pipe (`cat … | wsuscat check
/// /dev/stdin`) or a device has no length to check the header against, and
/// the signature sits at the end; refused as a usage error, before opening
/// (opening a FIFO would wait for a writer), not reported as a damaged
/// download.
pub fn preflight(path: &Path) -> Result<Preflighted> {
    // Through symlinks: `/dev/stdin` is one.
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() && !meta.is_dir() {
            return Err(not_seekable(path, None));
        }
    }
    let mut file = open(path)?;
    // Windows answers a size query on an open pipe or device with an error
    // (Invalid parameter) rather than a file type: an open handle with no
    // size is not a disk file.
    let meta = file.metadata().map_err(|e| not_seekable(path, Some(e)))?;
    if !meta.is_file() && !meta.is_dir() {
        return Err(not_seekable(path, None));
    }
    let file_len = meta.len();
    let mut head = Vec::with_capacity(signature::HEAD_LEN);
    (&mut file)
        .take(signature::HEAD_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(e, "the cabinet header").with_file(path))?;
    let pf = signature::preflight(&head, file_len).map_err(|e| Error::from(e).with_file(path))?;
    Ok(Preflighted {
        file_len,
        signed: pf.signed,
        modified: meta.modified().ok(),
    })
}

/// The catalog is a pipe or a device: refused as a usage error, not
/// reported as a damaged download.
fn not_seekable(path: &Path, cause: Option<std::io::Error>) -> Error {
    let why = match &cause {
        Some(e) => format!(" (its size cannot be read: {e})"),
        None => String::new(),
    };
    let err = Error::new(
        ErrorKind::Usage,
        format!(
            "not a regular file{why}: wsuscat needs a seekable file (the signature sits at the \
             end and the size check needs the length); save it to a file first"
        ),
    )
    .with_file(path);
    match cause {
        Some(e) => err.with_source(e),
        None => err,
    }
}

/// After a command has read what it reads: the file at `path` must still
/// have the size and modification time the preflight saw. The read pass
/// reads every byte and fails if it reads a different number, but a
/// command goes on reading after it (with `--threads 1` the content is read
/// after the pass), and a file cut short or rewritten in the meantime must
/// not be reported on as if it were the one hashed.
pub fn recheck(path: &Path, pre: &Preflighted) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::io(e, "the catalog's size, again").with_file(path))?;
    let changed = if meta.len() != pre.file_len {
        Some(format!(
            "{} bytes at preflight, {} at the end",
            pre.file_len,
            meta.len()
        ))
    } else if pre.modified.is_some() && meta.modified().ok() != pre.modified {
        Some("its modification time moved".to_string())
    } else {
        None
    };
    match changed {
        Some(how) => Err(Error::new(
            ErrorKind::Truncated,
            format!("the file changed while it was read: {how}"),
        )
        .with_file(path)),
        None => Ok(()),
    }
}

/// How many of a nested cabinet's first bytes [`check_cabinet_end`] reads:
/// the signature preflight's header, kept as the cabinet streams past.
pub const NESTED_HEAD_LEN: usize = signature::HEAD_LEN;

/// A nested cabinet, `len` bytes long, whose header was parsed into
/// `header` and whose first bytes are `head` (at least
/// [`NESTED_HEAD_LEN`] of them, or all of a shorter one: the cabinet itself
/// is streamed, not held), must end where its header says it does: bytes
/// past cbCabinet are refused unless the Authenticode signature area its
/// header declares accounts for exactly them. The same preflight as a
/// file's ([`preflight`]), so a nested cabinet is held to what the outer
/// one is; a header that declares a signature the bytes do not carry (none
/// past cbCabinet) is left alone, since nested signatures are not checked.
pub fn check_cabinet_end(head: &[u8], len: u64, header: &Header) -> Result<()> {
    let end = u64::from(header.cabinet_size);
    if len <= end {
        return Ok(());
    }
    let head = head.get(..signature::HEAD_LEN).unwrap_or(head);
    let pf = signature::preflight(head, len);
    if matches!(&pf, Ok(p) if p.signed.is_some()) {
        return Ok(());
    }
    let mut message = format!(
        "{} bytes past the cabinet's end (cbCabinet {end}, member {len})",
        len - end
    );
    if let (Some((offset, sig_len)), Err(e)) = (header.signature_location(), &pf) {
        message.push_str(&format!(
            "; the signature area its header declares (offset {offset}, {sig_len} bytes) does not account for them: {e}"
        ));
    }
    Err(Error::new(ErrorKind::Truncated, message))
}

fn summarize(r: signature::SignatureReport) -> SignatureSummary {
    SignatureSummary {
        signer_subject: r.signer_subject,
        signer_issuer: r.signer_issuer,
        signer_serial: r.signer_serial,
        digest_algorithm: r.digest_algorithm.to_string(),
        signing_time: r.signing_time.map(|t| t.utc),
        signing_time_source: match r.signing_time_source {
            signature::TimeSource::Countersignature => "countersignature",
            signature::TimeSource::Rfc3161 => "rfc3161",
            signature::TimeSource::SignedAttribute => "signed_attribute",
            signature::TimeSource::None => "none",
        }
        .to_string(),
        timestamp_verified: r.timestamp_verified,
        chain: r.chain,
        anchor_subject: r.anchor_subject,
        anchor_sha256: r.anchor_sha256,
        notes: r.notes,
    }
}

/// Reads the whole file once: its SHA-256, and (unless skipped) its
/// Authenticode digest, then verifies the signature against `anchors`.
pub fn hash_and_verify(
    path: &Path,
    pre: &Preflighted,
    policy: SignaturePolicy,
    anchors: &TrustAnchors,
) -> Result<(String, SignatureStatus)> {
    let pass = read_pass(path, pre, policy, anchors, Pass::FILE_SHA256)?;
    Ok((pass.sha256.unwrap_or_default(), pass.signature))
}

/// What a read pass computes besides the signature's digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// The whole file's SHA-256, even when the signature's digest is
    /// computed (a second hash on the same bytes).
    pub file_sha256: bool,
    /// The walk of every outer folder's blocks ([`BlockWalk`]).
    pub walk: bool,
}

impl Pass {
    /// The file's SHA-256 and the signature, no walk (`verify`).
    pub const FILE_SHA256: Pass = Pass {
        file_sha256: true,
        walk: false,
    };
}

/// What a read pass established.
#[derive(Debug)]
pub struct PassResult {
    /// SHA-256 of the whole file, lower-case hex: computed when asked, or
    /// when no signature digest was (then it is the pass's one hash).
    pub sha256: Option<String>,
    /// The digest the signature covers, as `sha256:<hex>` (the algorithm
    /// the signature names), when a signature was verified.
    pub signed_digest: Option<String>,
    /// What the signature check established.
    pub signature: SignatureStatus,
    /// The walk's findings, when asked.
    pub walked: Option<crate::cab::walk::WalkSummary>,
}

/// What the read pass's walk of the outer cabinet's blocks established
/// (see [`crate::cab::walk`]), and what index.xml says of its members.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReadPassSummary {
    /// Folders of the outer cabinet whose block chain was walked: all.
    pub outer_folders: usize,
    /// Their CFDATA blocks, every header parsed and every checksum compared.
    pub outer_blocks: u64,
    /// Of those, blocks whose stored checksum is 0 ("not computed" in
    /// MS-CAB): their headers were checked, their bytes could not be.
    pub blocks_not_checksummed: u64,
    /// Members of the outer cabinet that are neither index.xml, package.cab
    /// nor a cabinet index.xml names, in the cabinet's order.
    pub unlisted_members: Vec<String>,
}

/// The read pass: [`hash_and_verify`], and when `walk`, the structural walk
/// of every outer folder's blocks on the same bytes ([`BlockWalk`]). The
/// walk runs whatever the signature policy; its failure is reported after
/// a signature failure, which outranks it.
pub fn read_pass(
    path: &Path,
    pre: &Preflighted,
    policy: SignaturePolicy,
    anchors: &TrustAnchors,
    pass: Pass,
) -> Result<PassResult> {
    let mut file = open(path)?;
    let mut walker = if pass.walk {
        let mut tables = std::io::BufReader::with_capacity(64 << 10, &file);
        Some(Cabinet::parse(&mut tables).map(|cab| BlockWalk::new(&cab)))
    } else {
        None
    };
    let signature = match (policy, pre.signed) {
        (SignaturePolicy::Skip, _) => None,
        (SignaturePolicy::Require, None) => {
            return Err(Error::new(
                ErrorKind::Signature,
                "unsigned: the catalog carries no Authenticode signature (Microsoft signs every wsusscn2.cab)",
            )
            .with_source(signature::Error::Unsigned)
            .with_file(path))
        }
        (SignaturePolicy::AllowUnsigned, None) => None,
        (_, Some(layout)) => {
            let blob = signature::read_signature_blob(&mut file, &layout).map_err(|e| Error::from(e).with_file(path))?;
            let sig = AuthenticodeSignature::parse(&blob).map_err(|e| Error::from(e).with_file(path))?;
            Some((layout, sig))
        }
    };
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(e, "the catalog").with_file(path))?;
    let mut digester = signature
        .as_ref()
        .map(|(layout, sig)| CabDigester::new(layout, &[sig.digest_algorithm()]));
    // Hash once: the file's own SHA-256 only when asked, or when it is the
    // only hash of the pass.
    let mut sha = (pass.file_sha256 || digester.is_none()).then(Sha256::new);
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Error::io(e, "the catalog for hashing").with_file(path))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if let Some(sha) = sha.as_mut() {
            sha.update(&buf[..n]);
        }
        if let Some(d) = digester.as_mut() {
            d.update(&buf[..n]);
        }
        if let Some(Ok(w)) = walker.as_mut() {
            w.feed(&buf[..n]);
        }
    }
    if total != pre.file_len {
        return Err(Error::new(
            ErrorKind::Truncated,
            format!(
                "the file changed while it was read: {} bytes at preflight, {total} now",
                pre.file_len
            ),
        )
        .with_file(path));
    }
    let sha256 = sha.map(|sha| crate::trust::hex(&sha.finalize()));
    let mut signed_digest = None;
    let status = match (signature, digester) {
        (Some((_, sig)), Some(d)) => {
            let digests = d.finalize().map_err(|e| Error::from(e).with_file(path))?;
            let algorithm = sig.digest_algorithm();
            signed_digest = digests.get(algorithm).map(|d| {
                format!(
                    "{}:{}",
                    algorithm.to_string().to_ascii_lowercase().replace('-', ""),
                    crate::trust::hex(d)
                )
            });
            let report = sig
                .verify_digests(&digests, anchors, SystemTime::now())
                .map_err(|e| Error::from(e).with_file(path))?;
            SignatureStatus::Verified(Box::new(summarize(report)))
        }
        _ if policy == SignaturePolicy::Skip => SignatureStatus::NotChecked,
        _ => SignatureStatus::Unsigned,
    };
    let walked = match walker {
        Some(w) => Some(
            w.and_then(BlockWalk::finish)
                .map_err(|e| e.with_file(path))?,
        ),
        None => None,
    };
    Ok(PassResult {
        sha256,
        signed_digest,
        signature: status,
        walked,
    })
}

/// A file's identity: size, SHA-256 and signature status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The file's size in bytes.
    pub size: u64,
    /// SHA-256 of the whole file, lower-case hex, when computed
    /// ([`TrustOptions::file_sha256`], or no signature checked).
    pub sha256: Option<String>,
    /// The signed content's digest, `sha256:<hex>`, when a signature was
    /// verified: the catalog's identity without a second hash.
    pub signed_digest: Option<String>,
    /// What the signature check established.
    pub signature: SignatureStatus,
    /// What the read pass established of the outer cabinet's structure.
    pub read_pass: ReadPassSummary,
}

/// Establishes the file's identity and runs `content` on it: preflight
/// first, then the read pass (hash, signature, and the walk of every outer
/// folder's blocks) followed by index.xml reconciled with the members, in
/// parallel with `content` when `parallel`; at the end, [`recheck`]. A
/// signature failure outranks whatever `content` found, because then the
/// content is not the publisher's to begin with.
pub fn with_identity<T: Send>(
    path: &Path,
    trust: &TrustOptions,
    parallel: bool,
    content: impl FnOnce(&Preflighted) -> Result<T> + Send,
) -> Result<(Identity, T)> {
    let pre = preflight(path)?;
    let anchors = match trust.policy {
        SignaturePolicy::Skip => TrustAnchors::empty(),
        _ => trust.anchors()?,
    };
    let verify = || {
        let pass = Pass {
            file_sha256: trust.file_sha256,
            walk: true,
        };
        let result = read_pass(path, &pre, trust.policy, &anchors, pass)?;
        let walked = result.walked.unwrap_or_default();
        let catalog = Catalog::open(path)?;
        let unlisted_members = catalog
            .read_index()?
            .reconcile(catalog.outer())
            .map_err(|e| e.with_file(path))?;
        let summary = ReadPassSummary {
            outer_folders: walked.folders,
            outer_blocks: walked.blocks,
            blocks_not_checksummed: walked.blocks_not_checksummed,
            unlisted_members,
        };
        Ok::<_, Error>((result, summary))
    };
    let (identity, content) = if parallel {
        std::thread::scope(|s| {
            let hasher = s.spawn(verify);
            let content = content(&pre);
            (hasher.join().expect("hashing does not panic"), content)
        })
    } else {
        let identity = verify()?;
        (Ok(identity), content(&pre))
    };
    let changed = recheck(path, &pre);
    let (pass, read_pass) = identity?;
    changed?;
    let content = content?;
    Ok((
        Identity {
            size: pre.file_len,
            sha256: pass.sha256,
            signed_digest: pass.signed_digest,
            signature: pass.signature,
            read_pass,
        },
        content,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recheck_notices_a_file_cut_short_after_the_preflight() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.cab");
        let bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/clean-wsusscn2.cab"),
        )
        .unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let pre = preflight(&path).unwrap();
        recheck(&path, &pre).unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(bytes.len() as u64 - 100).unwrap();
        drop(file);
        let e = recheck(&path, &pre).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated);
        assert!(e.to_string().contains("changed while it was read"), "{e}");
    }
}
