//! One error type for every failure, one variant per kind of failure.
//!
//! Why typed variants rather than strings: the caller (wsuscat) maps them to
//! different exit codes and advice. A `SizeMismatch` means "download again",
//! a `DigestMismatch` means "the bytes were altered", an `UntrustedChain`
//! means "signed, but not by anyone you trust". Every message says what was
//! expected and where, so a log line is enough to diagnose a report.

use std::fmt;

/// Everything that can go wrong while checking a cabinet's Authenticode signature.
#[derive(Debug)]
pub enum Error {
    /// Reading the file failed.
    Io(std::io::Error),
    /// The bytes are not a Microsoft cabinet (bad magic, header too short).
    NotCabinet {
        /// What was wrong.
        reason: String,
    },
    /// The CFHEADER names a version other than 1.3.
    UnsupportedVersion {
        /// versionMajor (byte 25).
        major: u8,
        /// versionMinor (byte 24).
        minor: u8,
    },
    /// The file length does not match what the header promises: for a signed
    /// cabinet `sig_offset + sig_len`, for an unsigned one `cbCabinet`.
    /// This is what a truncated or padded download looks like.
    SizeMismatch {
        /// Size the header implies, in bytes.
        expected: u64,
        /// Size actually seen (file length, or bytes streamed), in bytes.
        actual: u64,
    },
    /// Header fields contradict each other (offsets outside the file,
    /// `coffFiles` not right after the CFFOLDERs, ...).
    HeaderInconsistent {
        /// Which field and what it should have been.
        reason: String,
    },
    /// The cabinet carries no Authenticode signature area.
    Unsigned,
    /// The PKCS#7 blob could not be parsed.
    MalformedSignature {
        /// Where in the structure (e.g. `SignedData.signerInfos`).
        at: String,
        /// What was expected there.
        reason: String,
    },
    /// An algorithm we do not implement (e.g. MD5, ECDSA).
    UnsupportedAlgorithm {
        /// Where it was used.
        at: String,
        /// Its OID, dotted.
        oid: String,
    },
    /// The digest of the cabinet bytes differs from the one signed in
    /// `SpcIndirectDataContent`: the cabinet was altered after signing.
    DigestMismatch {
        /// Algorithm named by the signature.
        algorithm: crate::trust::signature::DigestAlgorithm,
        /// Digest inside the signature.
        expected_hex: String,
        /// Digest computed over the file.
        actual_hex: String,
    },
    /// The signed attribute `messageDigest` differs from the hash of the
    /// encapsulated `SpcIndirectDataContent`.
    MessageDigestMismatch {
        /// Whose attributes: "signer", "RFC 3161 timestamp", ...
        at: String,
        /// Value of the `messageDigest` attribute.
        expected_hex: String,
        /// Hash of the content.
        actual_hex: String,
    },
    /// The digest algorithm was not computed by the caller's `CabDigester`.
    DigestNotComputed {
        /// Algorithm the signature needs.
        algorithm: crate::trust::signature::DigestAlgorithm,
    },
    /// No certificate in the bag matches the SignerInfo's issuer+serial or SKI.
    SignerCertificateMissing {
        /// The signer identifier, as text.
        signer_id: String,
        /// Subjects of the certificates that were in the bag.
        bag: Vec<String>,
        /// Why a certificate with the same identifier was not taken, if any.
        note: Option<String>,
    },
    /// A signature did not verify with the key that should have made it.
    BadSignature {
        /// Which signature (signer, certificate X issued by Y, ...).
        what: String,
    },
    /// No path from the signer certificate to a trust anchor.
    UntrustedChain {
        /// Why, e.g. "no trust anchor found for issuer CN=...".
        reason: String,
    },
    /// A certificate of the chain had expired at the time used for validation.
    CertificateExpired {
        /// Subject of the certificate.
        subject: String,
        /// Its notAfter (UTC).
        not_after: String,
        /// The validation time (UTC) and where it came from.
        at: String,
    },
    /// A certificate of the chain was not yet valid at the validation time.
    NotYetValid {
        /// Subject of the certificate.
        subject: String,
        /// Its notBefore (UTC).
        not_before: String,
        /// The validation time (UTC) and where it came from.
        at: String,
    },
    /// A certificate may not be used for what it was used for (no code-signing
    /// EKU on the leaf, an issuer that is not a CA, ...).
    WrongKeyUsage {
        /// Subject of the certificate.
        subject: String,
        /// What was required.
        reason: String,
    },
    /// A trust-anchor file could not be loaded, or an embedded anchor does not
    /// match its pinned fingerprint.
    TrustAnchor {
        /// What went wrong, and with which file.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::NotCabinet { reason } => write!(f, "not a cabinet file: {reason}"),
            Error::UnsupportedVersion { major, minor } => write!(
                f,
                "unsupported cabinet version {major}.{minor} in CFHEADER bytes 24-25 (expected 1.3)"
            ),
            Error::SizeMismatch { expected, actual } => write!(
                f,
                "size mismatch: the cabinet header implies {expected} bytes but {actual} bytes are present (truncated or padded download)"
            ),
            Error::HeaderInconsistent { reason } => {
                write!(f, "inconsistent cabinet header: {reason}")
            }
            Error::Unsigned => write!(
                f,
                "the cabinet has no Authenticode signature (no 20-byte CFHEADER reserve starting 00 00 10 00)"
            ),
            Error::MalformedSignature { at, reason } => {
                write!(f, "malformed PKCS#7 signature at {at}: {reason}")
            }
            Error::UnsupportedAlgorithm { at, oid } => {
                write!(f, "unsupported algorithm {oid} at {at}")
            }
            Error::DigestMismatch {
                algorithm,
                expected_hex,
                actual_hex,
            } => write!(
                f,
                "cabinet digest mismatch ({algorithm}): SpcIndirectDataContent says {expected_hex}, the file hashes to {actual_hex} (the cabinet was altered after signing)"
            ),
            Error::MessageDigestMismatch {
                at,
                expected_hex,
                actual_hex,
            } => write!(
                f,
                "messageDigest attribute mismatch in {at}: attribute says {expected_hex}, content hashes to {actual_hex}"
            ),
            Error::DigestNotComputed { algorithm } => write!(
                f,
                "the signature uses {algorithm} but the CabDigester did not compute it"
            ),
            Error::SignerCertificateMissing {
                signer_id,
                bag,
                note,
            } => {
                write!(
                    f,
                    "signer certificate ({signer_id}) is not in the signature's certificate bag (bag holds: {})",
                    if bag.is_empty() {
                        "nothing".to_string()
                    } else {
                        bag.join("; ")
                    }
                )?;
                if let Some(n) = note {
                    write!(f, "; {n}")?;
                }
                Ok(())
            }
            Error::BadSignature { what } => write!(f, "bad signature: {what}"),
            Error::UntrustedChain { reason } => write!(f, "untrusted certificate chain: {reason}"),
            Error::CertificateExpired {
                subject,
                not_after,
                at,
            } => write!(
                f,
                "certificate '{subject}' expired at {not_after}; validation time was {at}"
            ),
            Error::NotYetValid {
                subject,
                not_before,
                at,
            } => write!(
                f,
                "certificate '{subject}' is not valid before {not_before}; validation time was {at}"
            ),
            Error::WrongKeyUsage { subject, reason } => {
                write!(f, "certificate '{subject}' may not be used here: {reason}")
            }
            Error::TrustAnchor { reason } => write!(f, "trust anchor error: {reason}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// Shorthand for a `MalformedSignature` error.
pub(crate) fn malformed(at: &str, reason: impl Into<String>) -> Error {
    Error::MalformedSignature {
        at: at.to_string(),
        reason: reason.into(),
    }
}

/// Into the crate's error, so that `?` works in wsuscat code.
///
/// Why this mapping: wsuscat's [`crate::ErrorKind`] decides the exit code and
/// the advice, and the signature failures fall into three groups for an
/// administrator. Header and size problems are the same faults the cabinet
/// reader reports (`NotCabinet`, `UnsupportedVersion`, a truncated or padded
/// download is `Truncated`: download again). Everything about the signature
/// itself is [`crate::ErrorKind::Signature`], a catalog fault (the bytes are
/// not what Microsoft signed, or not signed by anyone trusted). A trust-anchor
/// file that cannot be loaded is the caller's mistake: `Usage`. Every message
/// starts with the cause in plain words and keeps the details (digests,
/// subjects, times) after it.
impl From<Error> for crate::error::Error {
    fn from(e: Error) -> Self {
        let (kind, message) = file_fault(&e)
            .unwrap_or_else(|| (crate::error::ErrorKind::Signature, signature_fault(&e)));
        crate::error::Error::new(kind, message).with_source(e)
    }
}

/// The faults that are not the signature's own: the file cannot be read, is
/// not a cabinet of the version Microsoft writes, has the wrong size, or the
/// trust anchors cannot be loaded. `None` for a signature fault.
fn file_fault(e: &Error) -> Option<(crate::error::ErrorKind, String)> {
    use crate::error::ErrorKind as K;
    Some(match e {
        Error::Io(io) => (
            K::Io,
            format!("cannot read the cabinet to check its signature: {io}"),
        ),
        Error::NotCabinet { reason } => (K::NotCabinet, format!("not a cabinet: {reason}")),
        Error::UnsupportedVersion { major, minor } => (
            K::UnsupportedVersion,
            format!("cabinet version {major}.{minor}, expected 1.3"),
        ),
        Error::SizeMismatch { expected, actual } => (
            K::Truncated,
            format!(
                "truncated or padded download: expected {expected} bytes, the file has {actual} (the size the cabinet header and its signature area promise; download the file again)"
            ),
        ),
        Error::TrustAnchor { reason } => (
            K::Usage,
            format!("cannot load the trust anchors: {reason}"),
        ),
        // Exhaustive, so that a new variant must be placed in one group or
        // the other.
        Error::HeaderInconsistent { .. }
        | Error::Unsigned
        | Error::MalformedSignature { .. }
        | Error::UnsupportedAlgorithm { .. }
        | Error::DigestMismatch { .. }
        | Error::MessageDigestMismatch { .. }
        | Error::DigestNotComputed { .. }
        | Error::SignerCertificateMissing { .. }
        | Error::BadSignature { .. }
        | Error::UntrustedChain { .. }
        | Error::CertificateExpired { .. }
        | Error::NotYetValid { .. }
        | Error::WrongKeyUsage { .. } => return None,
    })
}

/// The message of a signature fault ([`crate::error::ErrorKind::Signature`]).
fn signature_fault(e: &Error) -> String {
    match e {
        Error::HeaderInconsistent { reason } => format!("signature: the cabinet header does not describe a signed cabinet consistently: {reason}"),
        Error::Unsigned => "signature: the cabinet is not signed (no Authenticode signature area in the header reserve)".to_string(),
        Error::MalformedSignature { at, reason } => format!("signature: the PKCS#7 signature is malformed at {at}: {reason}"),
        Error::UnsupportedAlgorithm { at, oid } => format!("signature: unsupported algorithm {oid} at {at}"),
        Error::DigestMismatch {
            algorithm,
            expected_hex,
            actual_hex,
        } => format!(
                "signature: digest mismatch: the file was modified after signing (expected {expected_hex}, computed {actual_hex}, {algorithm})"
            ),
        Error::MessageDigestMismatch {
            at,
            expected_hex,
            actual_hex,
        } => format!(
                "signature: signed content mismatch: the signed data was modified after signing ({at} messageDigest expected {expected_hex}, content hashes to {actual_hex})"
            ),
        Error::DigestNotComputed { algorithm } => format!(
                "signature: digest not computed: the signature uses {algorithm}, which was not hashed while reading the file"
            ),
        e @ Error::SignerCertificateMissing { .. } => format!("signature: signer certificate missing: {e}"),
        Error::BadSignature { what } => format!("signature: the signature does not verify: {what}"),
        Error::UntrustedChain { reason } => format!("signature: not signed by a trusted publisher: {reason}"),
        Error::CertificateExpired {
            subject,
            not_after,
            at,
        } => format!(
                "signature: certificate expired: '{subject}' expired at {not_after}; validation time was {at}"
            ),
        Error::NotYetValid {
            subject,
            not_before,
            at,
        } => format!(
                "signature: certificate not yet valid: '{subject}' is valid from {not_before}; validation time was {at}"
            ),
        Error::WrongKeyUsage { subject, reason } => format!(
                "signature: certificate not allowed for this use: '{subject}': {reason}"
            ),
        // File faults never reach here (file_fault takes them first);
        // listed, not wildcarded, so that a new variant is a compile error.
        Error::Io(_)
        | Error::NotCabinet { .. }
        | Error::UnsupportedVersion { .. }
        | Error::SizeMismatch { .. }
        | Error::TrustAnchor { .. } => format!("signature: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::trust::signature::DigestAlgorithm;

    fn convert(e: Error) -> crate::error::Error {
        crate::error::Error::from(e)
    }

    #[test]
    fn size_mismatch_is_truncated_with_both_sizes() {
        let e = convert(Error::SizeMismatch {
            expected: 258_148,
            actual: 154_888,
        });
        assert_eq!(e.kind(), ErrorKind::Truncated);
        assert!(
            e.message().starts_with(
                "truncated or padded download: expected 258148 bytes, the file has 154888"
            ),
            "{}",
            e.message()
        );
    }

    #[test]
    fn digest_mismatch_names_the_cause() {
        let e = convert(Error::DigestMismatch {
            algorithm: DigestAlgorithm::Sha256,
            expected_hex: "aa".into(),
            actual_hex: "bb".into(),
        });
        assert_eq!(e.kind(), ErrorKind::Signature);
        assert_eq!(e.kind().as_str(), "signature");
        assert!(e.kind().is_catalog_fault(), "exit code 3");
        assert!(
            e.message().starts_with(
                "signature: digest mismatch: the file was modified after signing (expected aa, computed bb"
            ),
            "{}",
            e.message()
        );
    }

    /// Each error converts to `kind` with a message containing `text`, and
    /// is a catalog fault unless the fault is the machine's (Io) or the
    /// caller's (Usage).
    fn assert_each_maps(cases: Vec<(Error, ErrorKind, &str)>) {
        for (e, kind, text) in cases {
            let what = format!("{e:?}");
            let c = convert(e);
            assert_eq!(c.kind(), kind, "{what}");
            assert!(c.message().contains(text), "{what}: {}", c.message());
            assert_eq!(
                c.kind().is_catalog_fault(),
                !matches!(kind, ErrorKind::Io | ErrorKind::Usage),
                "{what}"
            );
        }
    }

    fn s(v: &str) -> String {
        v.to_string()
    }

    // The variants are split over three tests, by the group `From` maps
    // them to; together they cover every variant but `SizeMismatch` and
    // `DigestMismatch`, which have tests of their own above.

    #[test]
    fn file_faults_map_to_their_own_kinds() {
        assert_each_maps(vec![
            (
                Error::Io(std::io::Error::other("disk gone")),
                ErrorKind::Io,
                "disk gone",
            ),
            (
                Error::NotCabinet {
                    reason: s("no MSCF"),
                },
                ErrorKind::NotCabinet,
                "not a cabinet: no MSCF",
            ),
            (
                Error::UnsupportedVersion { major: 2, minor: 0 },
                ErrorKind::UnsupportedVersion,
                "cabinet version 2.0, expected 1.3",
            ),
            (
                Error::TrustAnchor {
                    reason: s("bad PEM"),
                },
                ErrorKind::Usage,
                "cannot load the trust anchors: bad PEM",
            ),
        ]);
    }

    #[test]
    fn header_and_parse_faults_map_to_signature() {
        assert_each_maps(vec![
            (
                Error::HeaderInconsistent {
                    reason: s("coffFiles"),
                },
                ErrorKind::Signature,
                "signature: the cabinet header",
            ),
            (
                Error::Unsigned,
                ErrorKind::Signature,
                "signature: the cabinet is not signed",
            ),
            (
                Error::MalformedSignature {
                    at: s("ContentInfo"),
                    reason: s("bad DER"),
                },
                ErrorKind::Signature,
                "signature: the PKCS#7 signature is malformed at ContentInfo: bad DER",
            ),
            (
                Error::UnsupportedAlgorithm {
                    at: s("SignerInfo"),
                    oid: s("1.2.840.10045.4.3.2"),
                },
                ErrorKind::Signature,
                "signature: unsupported algorithm 1.2.840.10045.4.3.2",
            ),
            (
                Error::MessageDigestMismatch {
                    at: s("SignerInfo"),
                    expected_hex: s("aa"),
                    actual_hex: s("bb"),
                },
                ErrorKind::Signature,
                "signature: signed content mismatch",
            ),
            (
                Error::DigestNotComputed {
                    algorithm: DigestAlgorithm::Sha1,
                },
                ErrorKind::Signature,
                "signature: digest not computed: the signature uses SHA-1",
            ),
        ]);
    }

    #[test]
    fn signer_and_chain_faults_map_to_signature() {
        assert_each_maps(vec![
            (
                Error::SignerCertificateMissing {
                    signer_id: s("issuer CN=X serial 01"),
                    bag: vec![],
                    note: None,
                },
                ErrorKind::Signature,
                "signature: signer certificate missing: ",
            ),
            (
                Error::BadSignature {
                    what: s("SignerInfo"),
                },
                ErrorKind::Signature,
                "signature: the signature does not verify: SignerInfo",
            ),
            (
                Error::UntrustedChain {
                    reason: s("no trust anchor found for issuer 'CN=X'"),
                },
                ErrorKind::Signature,
                "signature: not signed by a trusted publisher: no trust anchor found",
            ),
            (
                Error::CertificateExpired {
                    subject: s("CN=X"),
                    not_after: s("2021-01-01T00:00:00Z"),
                    at: s("now"),
                },
                ErrorKind::Signature,
                "signature: certificate expired: 'CN=X' expired at 2021-01-01T00:00:00Z",
            ),
            (
                Error::NotYetValid {
                    subject: s("CN=X"),
                    not_before: s("2030-01-01T00:00:00Z"),
                    at: s("now"),
                },
                ErrorKind::Signature,
                "signature: certificate not yet valid: 'CN=X'",
            ),
            (
                Error::WrongKeyUsage {
                    subject: s("CN=X"),
                    reason: s("extendedKeyUsage lacks code signing"),
                },
                ErrorKind::Signature,
                "signature: certificate not allowed for this use: 'CN=X'",
            ),
        ]);
    }
}
