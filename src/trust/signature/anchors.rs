//! Trust anchors: the certificates a chain must end at.
//!
//! Why pinned fingerprints next to the embedded DER: the roots are compiled in
//! with `include_bytes!`, so a wrong file in `anchors/` would silently change
//! whom we trust. The SHA-256 of each embedded certificate is checked against
//! a constant at construction (and by a test), and the constants are the ones
//! publicly listed for these roots (see docs/signature.md).
//!
//! A certificate "is" an anchor when its SHA-256 fingerprint equals the
//! anchor's, or when subject and public key are the same (a re-issued root
//! with the same key). A certificate is "issued by" an anchor when its issuer
//! name is the anchor's subject and its signature verifies with the anchor's
//! key. Anchors are trusted as configured: their own self-signature is not
//! checked, only their validity period.

use crate::trust::signature::certs::Cert;
use crate::trust::signature::error::Error;
use std::path::Path;

/// SHA-256 of "Microsoft Root Certificate Authority 2010" (valid 2010-06-23 to 2035-06-23).
pub const MICROSOFT_ROOT_2010_SHA256: &str =
    "df545bf919a2439c36983b54cdfc903dfa4f37d3996d8d84b4c31eec6f3c163e";
/// SHA-256 of "Microsoft Root Certificate Authority 2011" (valid 2011-03-22 to 2036-03-22).
pub const MICROSOFT_ROOT_2011_SHA256: &str =
    "847df6a78497943f27fc72eb93f9a637320a02b561d0a91b09e87a7807ed7c61";

const MICROSOFT_ROOT_2010_DER: &[u8] = include_bytes!("anchors/microsoft-root-ca-2010.der");
const MICROSOFT_ROOT_2011_DER: &[u8] = include_bytes!("anchors/microsoft-root-ca-2011.der");

/// A set of trusted certificates.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    pub(crate) certs: Vec<Cert>,
    /// Untrusted extra certificates offered for path building only (an
    /// intermediate CA missing from the signature's bag).
    pub(crate) intermediates: Vec<Cert>,
}

impl TrustAnchors {
    /// No anchors: every chain fails with "no trust anchor found".
    pub fn empty() -> Self {
        TrustAnchors::default()
    }

    /// Microsoft Root Certificate Authority 2010 and 2011, embedded, each
    /// checked against its pinned SHA-256 fingerprint.
    pub fn microsoft_default() -> Result<Self, Error> {
        let mut a = TrustAnchors::empty();
        for (name, der, pin) in [
            (
                "Microsoft Root Certificate Authority 2010",
                MICROSOFT_ROOT_2010_DER,
                MICROSOFT_ROOT_2010_SHA256,
            ),
            (
                "Microsoft Root Certificate Authority 2011",
                MICROSOFT_ROOT_2011_DER,
                MICROSOFT_ROOT_2011_SHA256,
            ),
        ] {
            let cert = Cert::from_der(der).map_err(|e| Error::TrustAnchor {
                reason: format!("embedded {name} does not parse: {e}"),
            })?;
            if cert.sha256_hex() != pin {
                return Err(Error::TrustAnchor {
                    reason: format!(
                        "embedded {name} has SHA-256 {} but the pinned value is {pin}",
                        cert.sha256_hex()
                    ),
                });
            }
            a.push(cert);
        }
        Ok(a)
    }

    /// Load anchors from files (each PEM with one or more `CERTIFICATE`
    /// blocks, possibly with text around them, or a single DER certificate).
    pub fn from_pem_files<P: AsRef<Path>>(paths: &[P]) -> Result<Self, Error> {
        let mut a = TrustAnchors::empty();
        for p in paths {
            let p = p.as_ref();
            let bytes = std::fs::read(p).map_err(|e| Error::TrustAnchor {
                reason: format!("cannot read {}: {e}", p.display()),
            })?;
            let loaded = Self::from_pem_or_der(&bytes).map_err(|e| Error::TrustAnchor {
                reason: format!("{}: {e}", p.display()),
            })?;
            a.extend(loaded);
        }
        Ok(a)
    }

    /// Parse PEM (one or more certificates) or a single DER certificate.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, Error> {
        const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
        const END: &[u8] = b"-----END CERTIFICATE-----";
        let mut a = TrustAnchors::empty();
        if find(bytes, BEGIN).is_none() {
            a.push(Cert::from_der(bytes)?);
            return Ok(a);
        }
        let mut rest = bytes;
        while let Some(b) = find(rest, BEGIN) {
            let tail = rest.get(b..).unwrap_or(&[]);
            let Some(e) = find(tail, END) else {
                return Err(Error::TrustAnchor {
                    reason: "PEM block without END CERTIFICATE line".into(),
                });
            };
            let end = e.saturating_add(END.len());
            let block = tail.get(..end).unwrap_or(&[]);
            let (label, der) = der::pem::decode_vec(block).map_err(|e| Error::TrustAnchor {
                reason: format!("bad PEM: {e}"),
            })?;
            if label != "CERTIFICATE" {
                return Err(Error::TrustAnchor {
                    reason: format!("unexpected PEM label {label}"),
                });
            }
            a.push(Cert::from_der(&der)?);
            rest = tail.get(end..).unwrap_or(&[]);
        }
        Ok(a)
    }

    /// Add DER certificates.
    pub fn from_der_certs(ders: &[&[u8]]) -> Result<Self, Error> {
        let mut a = TrustAnchors::empty();
        for d in ders {
            a.push(Cert::from_der(d)?);
        }
        Ok(a)
    }

    /// Offer the certificates of `certs` as *untrusted* intermediates: they
    /// may fill a gap in the chain, but trust still has to end at an anchor.
    pub fn add_intermediates(&mut self, certs: TrustAnchors) {
        for c in certs.certs.into_iter().chain(certs.intermediates) {
            if !self.intermediates.iter().any(|x| x.sha256 == c.sha256) {
                self.intermediates.push(c);
            }
        }
    }

    /// Merge another set into this one.
    pub fn extend(&mut self, other: TrustAnchors) {
        for c in other.certs {
            self.push(c);
        }
        let extra = TrustAnchors {
            certs: other.intermediates,
            intermediates: Vec::new(),
        };
        self.add_intermediates(extra);
    }

    fn push(&mut self, c: Cert) {
        if !self.certs.iter().any(|x| x.sha256 == c.sha256) {
            self.certs.push(c);
        }
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// True when there are no anchors.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Subjects of the anchors.
    pub fn subjects(&self) -> Vec<String> {
        self.certs.iter().map(|c| c.subject.clone()).collect()
    }

    /// SHA-256 fingerprints (lower-case hex) of the anchors.
    pub fn sha256_fingerprints(&self) -> Vec<String> {
        self.certs.iter().map(Cert::sha256_hex).collect()
    }

    /// Index of the anchor that `cert` is (same fingerprint, or same subject and key).
    pub(crate) fn position_same(&self, cert: &Cert) -> Option<usize> {
        self.certs.iter().position(|a| {
            a.sha256 == cert.sha256 || (a.subject_name() == cert.subject_name() && a.same_key(cert))
        })
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
