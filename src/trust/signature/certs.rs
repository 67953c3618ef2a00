//! Certificates and public-key signature checks.
//!
//! Why the raw bytes are kept next to the parsed `x509_cert::Certificate`: a
//! certificate's signature covers the exact `tbsCertificate` encoding, and the
//! SHA-256 fingerprint covers the exact certificate encoding; re-encoding the
//! decoded structure could differ from what was signed. `x509-cert` is used
//! for what it is good at: names, validity and extensions.
//!
//! Signature schemes: RSA PKCS#1 v1.5 (SHA-1/256/384/512) and RSASSA-PSS
//! (MGF1 with the same hash). ECDSA is reported as unsupported: Microsoft's
//! code-signing and timestamping chains are RSA.

use crate::trust::signature::algorithm::{hex, DigestAlgorithm};
use crate::trust::signature::asn1::{ctx, AlgId, Tlv};
use crate::trust::signature::error::{malformed, Error};
use const_oid::db::rfc5912;
use const_oid::ObjectIdentifier;
use der::{Decode, Tag, TagNumber};
use rsa::traits::PublicKeyParts as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use x509_cert::name::Name;
use x509_cert::Certificate;

/// id-RSASSA-PSS.
const ID_RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
/// id-mgf1.
const ID_MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
/// Smallest RSA modulus accepted.
const MIN_RSA_BITS: usize = 1024;
/// Largest RSA modulus accepted.
const MAX_RSA_BITS: usize = 16384;

/// A parsed certificate with the raw encodings needed for verification.
#[derive(Clone, Debug)]
pub(crate) struct Cert {
    pub cert: Certificate,
    pub tbs_raw: Vec<u8>,
    pub sig_alg_oid: ObjectIdentifier,
    pub sig_alg_params: Option<Vec<u8>>,
    pub signature: Vec<u8>,
    pub subject: String,
    pub issuer: String,
    pub sha256: Vec<u8>,
}

impl Cert {
    /// Parse one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Cert, Error> {
        let at = "certificate";
        let outer = Tlv::parse_exact(der, at)?.expect(Tag::Sequence, at)?;
        let mut c = outer.children(at)?;
        let tbs = c.expect(Tag::Sequence, "certificate.tbsCertificate")?;
        let alg_t = c.next("certificate.signatureAlgorithm")?;
        let alg_raw = alg_t.raw;
        let alg = AlgId::parse(&alg_t, at)?;
        let sig = c.expect(Tag::BitString, "certificate.signature")?;
        let signature = match sig.value.split_first() {
            Some((0, rest)) => rest.to_vec(),
            _ => {
                return Err(malformed(
                    "certificate.signature",
                    "BIT STRING with unused bits",
                ))
            }
        };
        // RFC 5280 4.1.1.2: the outer signatureAlgorithm must equal the
        // (signed) tbsCertificate.signature; otherwise the outer, unsigned
        // copy could be altered freely.
        let mut t = tbs.children("certificate.tbsCertificate")?;
        t.optional(ctx(TagNumber::N0), "certificate.tbsCertificate.version")?;
        t.next("certificate.tbsCertificate.serialNumber")?;
        let inner_alg = t.next("certificate.tbsCertificate.signature")?;
        if inner_alg.raw != alg_raw {
            return Err(malformed(
                at,
                "signatureAlgorithm differs from tbsCertificate.signature",
            ));
        }
        let cert = Certificate::from_der(der)
            .map_err(|e| malformed(at, format!("x509 decode failed: {e}")))?;
        let subject = cert.tbs_certificate.subject.to_string();
        let issuer = cert.tbs_certificate.issuer.to_string();
        Ok(Cert {
            tbs_raw: tbs.raw.to_vec(),
            sig_alg_oid: alg.oid,
            sig_alg_params: alg.params.map(|p| p.raw.to_vec()),
            signature,
            subject: if subject.is_empty() {
                "(empty subject)".into()
            } else {
                subject
            },
            issuer,
            sha256: DigestAlgorithm::Sha256.hash(der),
            cert,
        })
    }

    pub fn subject_name(&self) -> &Name {
        &self.cert.tbs_certificate.subject
    }

    pub fn issuer_name(&self) -> &Name {
        &self.cert.tbs_certificate.issuer
    }

    pub fn serial(&self) -> &[u8] {
        self.cert.tbs_certificate.serial_number.as_bytes()
    }

    pub fn serial_hex(&self) -> String {
        crate::trust::signature::asn1::serial_hex(self.serial())
    }

    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }

    pub fn same_key(&self, other: &Cert) -> bool {
        self.cert.tbs_certificate.subject_public_key_info
            == other.cert.tbs_certificate.subject_public_key_info
    }

    /// Subject Key Identifier extension value, if present.
    pub fn subject_key_id(&self) -> Option<Vec<u8>> {
        use x509_cert::ext::pkix::SubjectKeyIdentifier;
        match self.cert.tbs_certificate.get::<SubjectKeyIdentifier>() {
            Ok(Some((_, ski))) => Some(ski.0.as_bytes().to_vec()),
            _ => None,
        }
    }

    pub fn not_before(&self) -> SystemTime {
        self.cert
            .tbs_certificate
            .validity
            .not_before
            .to_system_time()
    }

    pub fn not_after(&self) -> SystemTime {
        self.cert
            .tbs_certificate
            .validity
            .not_after
            .to_system_time()
    }

    pub fn basic_constraints(&self) -> Result<Option<BasicConstraints>, Error> {
        self.cert
            .tbs_certificate
            .get::<BasicConstraints>()
            .map(|o| o.map(|(_, v)| v))
            .map_err(|e| self.ext_err("basicConstraints", e))
    }

    pub fn key_usage(&self) -> Result<Option<KeyUsage>, Error> {
        self.cert
            .tbs_certificate
            .get::<KeyUsage>()
            .map(|o| o.map(|(_, v)| v))
            .map_err(|e| self.ext_err("keyUsage", e))
    }

    pub fn ext_key_usage(&self) -> Result<Option<ExtendedKeyUsage>, Error> {
        self.cert
            .tbs_certificate
            .get::<ExtendedKeyUsage>()
            .map(|o| o.map(|(_, v)| v))
            .map_err(|e| self.ext_err("extendedKeyUsage", e))
    }

    pub fn is_v1(&self) -> bool {
        self.cert.tbs_certificate.version == x509_cert::certificate::Version::V1
    }

    fn ext_err(&self, what: &str, e: der::Error) -> Error {
        Error::WrongKeyUsage {
            subject: self.subject.clone(),
            reason: format!("cannot decode its {what} extension: {e}"),
        }
    }

    /// Check that `self` was signed by the key of `issuer`.
    pub fn verify_issued_by(&self, issuer: &Cert) -> Result<(), Error> {
        let scheme = Scheme::from_alg(
            &self.sig_alg_oid,
            self.sig_alg_params.as_deref(),
            None,
            &format!("signatureAlgorithm of '{}'", self.subject),
        )?;
        verify_with_key(
            issuer,
            scheme,
            &self.tbs_raw,
            &self.signature,
            &format!(
                "certificate '{}' does not verify with the key of '{}'",
                self.subject, issuer.subject
            ),
        )
    }
}

/// A signature scheme with its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    RsaPkcs1(DigestAlgorithm),
    RsaPss { hash: DigestAlgorithm, salt_len: u8 },
}

impl Scheme {
    /// Resolve a signature AlgorithmIdentifier. `digest` is the separately
    /// named digest (a SignerInfo's digestAlgorithm), used when the
    /// signature algorithm is plain `rsaEncryption`.
    pub fn from_alg(
        oid: &ObjectIdentifier,
        params: Option<&[u8]>,
        digest: Option<DigestAlgorithm>,
        at: &str,
    ) -> Result<Scheme, Error> {
        let unsupported = || Error::UnsupportedAlgorithm {
            at: at.to_string(),
            oid: oid.to_string(),
        };
        let named = match *oid {
            o if o == rfc5912::SHA_1_WITH_RSA_ENCRYPTION => Some(DigestAlgorithm::Sha1),
            o if o == rfc5912::SHA_256_WITH_RSA_ENCRYPTION => Some(DigestAlgorithm::Sha256),
            o if o == rfc5912::SHA_384_WITH_RSA_ENCRYPTION => Some(DigestAlgorithm::Sha384),
            o if o == rfc5912::SHA_512_WITH_RSA_ENCRYPTION => Some(DigestAlgorithm::Sha512),
            _ => None,
        };
        if let Some(h) = named {
            if let Some(d) = digest {
                if d != h {
                    return Err(malformed(
                        at,
                        format!("signature algorithm hashes with {h} but digestAlgorithm is {d}"),
                    ));
                }
            }
            return Ok(Scheme::RsaPkcs1(h));
        }
        if *oid == rfc5912::RSA_ENCRYPTION {
            return digest
                .map(Scheme::RsaPkcs1)
                .ok_or_else(|| malformed(at, "rsaEncryption without a digest algorithm"));
        }
        if *oid == ID_RSASSA_PSS {
            let p = params.ok_or_else(|| malformed(at, "RSASSA-PSS without parameters"))?;
            let pss = rsa::pkcs1::RsaPssParams::from_der(p)
                .map_err(|e| malformed(at, format!("bad RSASSA-PSS parameters: {e}")))?;
            let hash =
                DigestAlgorithm::from_oid(&pss.hash.oid).ok_or(Error::UnsupportedAlgorithm {
                    at: format!("{at} (PSS hash)"),
                    oid: pss.hash.oid.to_string(),
                })?;
            let mgf_hash = pss
                .mask_gen
                .parameters
                .as_ref()
                .and_then(|p| DigestAlgorithm::from_oid(&p.oid));
            if pss.mask_gen.oid != ID_MGF1 || mgf_hash != Some(hash) {
                return Err(Error::UnsupportedAlgorithm {
                    at: format!("{at} (PSS mask generation other than MGF1 with {hash})"),
                    oid: pss.mask_gen.oid.to_string(),
                });
            }
            if let Some(d) = digest {
                if d != hash {
                    return Err(malformed(
                        at,
                        format!("PSS hashes with {hash} but digestAlgorithm is {d}"),
                    ));
                }
            }
            return Ok(Scheme::RsaPss {
                hash,
                salt_len: pss.salt_len,
            });
        }
        Err(unsupported())
    }
}

/// The RSA public key of `cert`.
fn rsa_key(cert: &Cert) -> Result<rsa::RsaPublicKey, Error> {
    let spki = &cert.cert.tbs_certificate.subject_public_key_info;
    let alg = spki.algorithm.oid;
    if alg != rfc5912::RSA_ENCRYPTION && alg != ID_RSASSA_PSS {
        return Err(Error::UnsupportedAlgorithm {
            at: format!("public key of '{}'", cert.subject),
            oid: alg.to_string(),
        });
    }
    let bits = spki.subject_public_key.as_bytes().ok_or_else(|| {
        malformed(
            "subjectPublicKeyInfo",
            "public key BIT STRING has unused bits",
        )
    })?;
    let k = rsa::pkcs1::RsaPublicKey::from_der(bits)
        .map_err(|e| malformed("subjectPublicKeyInfo", format!("bad RSA public key: {e}")))?;
    let n = rsa::BigUint::from_bytes_be(k.modulus.as_bytes());
    let e = rsa::BigUint::from_bytes_be(k.public_exponent.as_bytes());
    let key = rsa::RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS).map_err(|e| {
        malformed(
            "subjectPublicKeyInfo",
            format!("unusable RSA key of '{}': {e}", cert.subject),
        )
    })?;
    if key.n().bits() < MIN_RSA_BITS {
        return Err(Error::UnsupportedAlgorithm {
            at: format!(
                "RSA key of '{}' ({} bits, minimum {MIN_RSA_BITS})",
                cert.subject,
                key.n().bits()
            ),
            oid: alg.to_string(),
        });
    }
    Ok(key)
}

/// Verify `signature` over `message` with the key of `signer`.
/// Fails with `BadSignature { what }` when the signature does not match.
pub(crate) fn verify_with_key(
    signer: &Cert,
    scheme: Scheme,
    message: &[u8],
    signature: &[u8],
    what: &str,
) -> Result<(), Error> {
    let key = rsa_key(signer)?;
    let ok = match scheme {
        Scheme::RsaPkcs1(h) => {
            let hashed = h.hash(message);
            let pad = match h {
                DigestAlgorithm::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                DigestAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                DigestAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                DigestAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            key.verify(pad, &hashed, signature).is_ok()
        }
        Scheme::RsaPss { hash, salt_len } => {
            let hashed = hash.hash(message);
            let s = usize::from(salt_len);
            let pss = match hash {
                DigestAlgorithm::Sha1 => rsa::Pss::new_with_salt::<sha1::Sha1>(s),
                DigestAlgorithm::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(s),
                DigestAlgorithm::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(s),
                DigestAlgorithm::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(s),
            };
            key.verify(pss, &hashed, signature).is_ok()
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::BadSignature {
            what: what.to_string(),
        })
    }
}

/// Seconds since the Unix epoch (negative before 1970).
pub(crate) fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs())
            .map(|s| -s)
            .unwrap_or(i64::MIN),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a time, or the raw seconds if out of range.
pub(crate) fn utc_string(t: SystemTime) -> String {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => match der::DateTime::from_unix_duration(Duration::from_secs(d.as_secs())) {
            Ok(dt) => dt.to_string(),
            Err(_) => format!("@{}", d.as_secs()),
        },
        Err(_) => format!("@{}", unix_secs(t)),
    }
}
