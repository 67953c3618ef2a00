//! The Authenticode signature of a cabinet: parse once, verify against a
//! digest computed elsewhere.
//!
//! Why parsing is separate from hashing: the signature names the digest
//! algorithm, and the signature blob is small and sits at the end of the file.
//! A caller reads it first (one small seek), learns the algorithm, then hashes
//! the ~650 MB of cabinet data in the same pass that decompresses it, and
//! finally calls [`AuthenticodeSignature::verify`] with that digest.
//!
//! Verification order, each step with its own error:
//! 1. cabinet digest == `SpcIndirectDataContent.messageDigest` ([`Error::DigestMismatch`]);
//! 2. signed attribute `messageDigest` == H(content octets of
//!    `SpcIndirectDataContent`) ([`Error::MessageDigestMismatch`]);
//! 3. signer certificate found in the bag ([`Error::SignerCertificateMissing`]) and
//!    its key verifies the signature over DER(SET OF signed attributes)
//!    ([`Error::BadSignature`]);
//! 4. timestamps examined (see `timestamp.rs`) to fix the validation time;
//! 5. chain to a trust anchor, validity, code-signing usage
//!    ([`Error::UntrustedChain`], [`Error::CertificateExpired`],
//!    [`Error::NotYetValid`], [`Error::WrongKeyUsage`]).

use crate::trust::signature::algorithm::{hex, DigestAlgorithm};
use crate::trust::signature::anchors::TrustAnchors;
use crate::trust::signature::asn1::{AlgId, Tlv};
use crate::trust::signature::certs::{unix_secs, utc_string, Cert};
use crate::trust::signature::chain::{verify_chain, Usage};
use crate::trust::signature::digest::CabDigests;
use crate::trust::signature::error::{malformed, Error};
use crate::trust::signature::pkcs7::{check_signer_info, find_signer, SignedData, SignerId};
use crate::trust::signature::timestamp::{check_timestamps, signed_attribute_time, TimeSource};
use const_oid::ObjectIdentifier;
use der::Tag;
use std::time::SystemTime;

/// SPC_INDIRECT_DATA_OBJID.
const SPC_INDIRECT_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.4");
/// Nested signature attribute (not verified; reported).
const SPC_NESTED_SIGNATURE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.4.1");

/// A point in time, as Unix seconds and as `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UtcTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix_secs: i64,
    /// RFC 3339 UTC text.
    pub utc: String,
}

impl UtcTime {
    pub(crate) fn from_system(t: SystemTime) -> Self {
        UtcTime {
            unix_secs: unix_secs(t),
            utc: utc_string(t),
        }
    }
}

/// What a successful verification established.
#[derive(Clone, Debug)]
pub struct SignatureReport {
    /// Subject of the signing certificate (RFC 4514 text).
    pub signer_subject: String,
    /// Issuer of the signing certificate.
    pub signer_issuer: String,
    /// Serial number of the signing certificate, hex.
    pub signer_serial: String,
    /// Digest algorithm of the cabinet digest.
    pub digest_algorithm: DigestAlgorithm,
    /// The verified cabinet digest, hex.
    pub file_digest_hex: String,
    /// OID of `SpcIndirectDataContent.data.type` (`...2.1.25` SPC_CAB_DATA, or `...2.1.28`).
    pub content_data_type: String,
    /// Signing time: from a verified timestamp if any, else an unverified one,
    /// else the self-asserted signingTime attribute.
    pub signing_time: Option<UtcTime>,
    /// Where `signing_time` came from.
    pub signing_time_source: TimeSource,
    /// True when `signing_time` comes from a timestamp whose signature verified
    /// and whose signer chains to a trust anchor.
    pub timestamp_verified: bool,
    /// Subject of the timestamp signer (TSA or countersigner), when a
    /// timestamp's signature was checked.
    pub timestamp_signer: Option<String>,
    /// The instant at which certificate validity was checked.
    pub validated_at: UtcTime,
    /// Certificate subjects from the leaf to the anchor.
    pub chain: Vec<String>,
    /// Subject of the trust anchor reached.
    pub anchor_subject: String,
    /// SHA-256 fingerprint of the trust anchor, hex.
    pub anchor_sha256: String,
    /// Remarks (untrusted timestamp and why, nested signature ignored, ...).
    pub notes: Vec<String>,
}

/// A parsed cabinet Authenticode signature.
#[derive(Clone, Debug)]
pub struct AuthenticodeSignature {
    sd: SignedData,
    digest_algorithm: DigestAlgorithm,
    embedded_digest: Vec<u8>,
    data_type: ObjectIdentifier,
}

impl AuthenticodeSignature {
    /// Parse the signature area (PKCS#7 `ContentInfo`, possibly followed by
    /// zero padding).
    pub fn parse(blob: &[u8]) -> Result<Self, Error> {
        let (sd, rest) = SignedData::parse_content_info(blob, "ContentInfo")?;
        if rest.iter().any(|&b| b != 0) {
            return Err(malformed(
                "signature area",
                format!(
                    "{} bytes after the PKCS#7 ContentInfo are not zero padding",
                    rest.len()
                ),
            ));
        }
        if sd.version != 1 {
            return Err(malformed(
                "SignedData.version",
                format!(
                    "version {}; Authenticode signatures are PKCS#7 SignedData version 1",
                    sd.version
                ),
            ));
        }
        if sd.content_type != SPC_INDIRECT_DATA {
            return Err(malformed(
                "SignedData.contentInfo.contentType",
                format!(
                    "{} is not SpcIndirectDataContent ({SPC_INDIRECT_DATA})",
                    sd.content_type
                ),
            ));
        }
        let at = "SpcIndirectDataContent";
        let idc = Tlv::parse_exact(&sd.content_tlv, at)?.expect(Tag::Sequence, at)?;
        let mut c = idc.children(at)?;
        let data = c.expect(Tag::Sequence, &format!("{at}.data"))?;
        let data_type = data
            .children(at)?
            .next(&format!("{at}.data.type"))?
            .oid(&format!("{at}.data.type"))?;
        let di_at = format!("{at}.messageDigest");
        let di = c.expect(Tag::Sequence, &di_at)?;
        let mut d = di.children(&di_at)?;
        let alg = AlgId::parse(&d.next(&di_at)?, &di_at)?;
        let digest_algorithm =
            DigestAlgorithm::from_oid(&alg.oid).ok_or_else(|| Error::UnsupportedAlgorithm {
                at: di_at.clone(),
                oid: alg.oid.to_string(),
            })?;
        let embedded_digest = d.next(&di_at)?.octets(&di_at)?.to_vec();
        if embedded_digest.len() != digest_algorithm.output_len() {
            return Err(malformed(
                &di_at,
                format!(
                    "{}-byte digest for {digest_algorithm}",
                    embedded_digest.len()
                ),
            ));
        }
        Ok(AuthenticodeSignature {
            sd,
            digest_algorithm,
            embedded_digest,
            data_type,
        })
    }

    /// The algorithm to hash the cabinet with.
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest_algorithm
    }

    /// The cabinet digest stated inside the signature.
    pub fn embedded_digest(&self) -> &[u8] {
        &self.embedded_digest
    }

    /// Subjects of the certificates in the signature's bag.
    pub fn certificate_subjects(&self) -> Vec<String> {
        self.sd.certs.iter().map(|c| c.subject.clone()).collect()
    }

    /// Step 1 only: compare a computed cabinet digest with the embedded one.
    pub fn check_file_digest(&self, computed: &[u8]) -> Result<(), Error> {
        if computed != self.embedded_digest.as_slice() {
            return Err(Error::DigestMismatch {
                algorithm: self.digest_algorithm,
                expected_hex: hex(&self.embedded_digest),
                actual_hex: hex(computed),
            });
        }
        Ok(())
    }

    /// Full verification, given the cabinet digest computed with
    /// [`Self::digest_algorithm`] (by [`crate::trust::signature::cab_digest`] or a [`crate::trust::signature::CabDigester`]).
    pub fn verify(
        &self,
        file_digest: &[u8],
        anchors: &TrustAnchors,
        now: SystemTime,
    ) -> Result<SignatureReport, Error> {
        self.check_file_digest(file_digest)?;
        let signer = self.signer_cert()?;
        let si = &self.sd.signer;
        check_signer_info(
            si,
            &self.sd.content_value,
            signer,
            Some(SPC_INDIRECT_DATA),
            "SignerInfo",
        )?;

        let mut notes = Vec::new();
        let mut pool = self.sd.certs.clone();
        pool.extend(anchors.intermediates.iter().cloned());
        let stamps = check_timestamps(si, &pool, anchors);
        let trusted = stamps.iter().find(|s| s.trusted);
        for s in &stamps {
            if !s.trusted {
                if let Some(n) = &s.note {
                    notes.push(format!("{} not used: {n}", s.source));
                }
            }
        }
        let (validated_at, at_desc) = match trusted.and_then(|s| s.time.map(|t| (s, t))) {
            Some((s, t)) => (
                t,
                format!("{} (from the verified {})", utc_string(t), s.source),
            ),
            None => (now, format!("{} (current time)", utc_string(now))),
        };
        let best = trusted.or_else(|| stamps.iter().find(|s| s.time.is_some()));
        let (signing_time, signing_time_source) = match best {
            Some(s) => (s.time, s.source),
            None => match signed_attribute_time(si) {
                Some(t) => (Some(t), TimeSource::SignedAttribute),
                None => (None, TimeSource::None),
            },
        };
        let timestamp_signer = best.and_then(|s| s.signer.clone());
        if si
            .unsigned_attrs
            .iter()
            .any(|a| a.oid == SPC_NESTED_SIGNATURE)
        {
            notes.push("a nested (secondary) signature is present and was not verified".into());
        }
        if !self.sd.cert_errors.is_empty() {
            notes.push(format!(
                "{} certificate(s) of the bag could not be parsed: {}",
                self.sd.cert_errors.len(),
                self.sd.cert_errors.join("; ")
            ));
        }

        let chain = verify_chain(
            signer,
            &pool,
            anchors,
            validated_at,
            &at_desc,
            Usage::CodeSigning,
        )?;
        Ok(SignatureReport {
            signer_subject: signer.subject.clone(),
            signer_issuer: signer.issuer.clone(),
            signer_serial: signer.serial_hex(),
            digest_algorithm: self.digest_algorithm,
            file_digest_hex: hex(file_digest),
            content_data_type: self.data_type.to_string(),
            signing_time: signing_time.map(UtcTime::from_system),
            signing_time_source,
            timestamp_verified: trusted.is_some(),
            timestamp_signer,
            validated_at: UtcTime::from_system(validated_at),
            chain: chain.subjects,
            anchor_subject: chain.anchor_subject,
            anchor_sha256: chain.anchor_sha256,
            notes,
        })
    }

    /// Verify with the digests of a [`crate::trust::signature::CabDigester`] pass.
    pub fn verify_digests(
        &self,
        digests: &CabDigests,
        anchors: &TrustAnchors,
        now: SystemTime,
    ) -> Result<SignatureReport, Error> {
        let d = digests
            .get(self.digest_algorithm)
            .ok_or(Error::DigestNotComputed {
                algorithm: self.digest_algorithm,
            })?;
        self.verify(d, anchors, now)
    }

    fn signer_cert(&self) -> Result<&Cert, Error> {
        let sid: &SignerId = &self.sd.signer.sid;
        find_signer(sid, &[&self.sd.certs])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::signature::pkcs7::tests::{landmarks, sample_blob};

    #[test]
    fn authenticode_wants_signed_data_version_1() {
        let blob = sample_blob();
        AuthenticodeSignature::parse(&blob).unwrap();
        let (v, _, _) = landmarks(&blob);
        let mut v3 = blob;
        v3[v + 2] = 3;
        let e = AuthenticodeSignature::parse(&v3).unwrap_err().to_string();
        assert!(e.contains("SignedData version 1"), "{e}");
    }
}
