//! Chain building from a signer certificate to a trust anchor.
//!
//! Why a small depth-first search rather than "issuer of the previous one":
//! certificate bags may hold several certificates with the same subject
//! (re-keyed or cross-signed CAs), in any order, plus unrelated ones (the
//! timestamping chain). Each candidate issuer must (a) carry the issuer name
//! of the certificate below it, (b) be a CA (basicConstraints cA, keyCertSign
//! if keyUsage is present, pathLenConstraint respected) and (c) verify the
//! certificate's signature. The first path that reaches an anchor wins.
//!
//! Validity periods are then checked for every certificate of the path,
//! anchor included, at one instant: the verified timestamp's time when there
//! is one, else the caller's "now". The leaf's extended key usage must include
//! the purpose (code signing, or time stamping for a TSA) when the extension
//! is present, and its keyUsage must allow digitalSignature.
//!
//! Not done (documented limits): revocation (CRL/OCSP: needs the network),
//! name constraints, certificate policies, EKU nesting through intermediates,
//! and rejection of unknown critical extensions.

use crate::trust::signature::anchors::TrustAnchors;
use crate::trust::signature::certs::{utc_string, Cert};
use crate::trust::signature::error::Error;
use const_oid::ObjectIdentifier;
use std::time::SystemTime;

/// Longest chain considered (leaf + intermediates).
const MAX_DEPTH: usize = 8;
/// Most signature checks one search may make (a hostile bag of mutually
/// cross-signed certificates could otherwise make the search exponential).
const MAX_SIGNATURE_CHECKS: usize = 256;

/// id-kp-codeSigning.
pub(crate) const ID_KP_CODE_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// id-kp-timeStamping.
pub(crate) const ID_KP_TIME_STAMPING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// What the leaf certificate is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Usage {
    CodeSigning,
    TimeStamping,
}

impl Usage {
    fn oid(self) -> ObjectIdentifier {
        match self {
            Usage::CodeSigning => ID_KP_CODE_SIGNING,
            Usage::TimeStamping => ID_KP_TIME_STAMPING,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Usage::CodeSigning => "code signing (1.3.6.1.5.5.7.3.3)",
            Usage::TimeStamping => "time stamping (1.3.6.1.5.5.7.3.8)",
        }
    }
}

/// A validated chain.
#[derive(Clone, Debug)]
pub(crate) struct ChainInfo {
    /// Subjects from leaf to anchor.
    pub subjects: Vec<String>,
    pub anchor_subject: String,
    pub anchor_sha256: String,
}

enum End {
    /// The last certificate of the path is itself anchor `i`.
    IsAnchor(usize),
    /// The last certificate of the path was issued by anchor `i`.
    IssuedBy(usize),
}

struct Search<'a> {
    pool: &'a [Cert],
    anchors: &'a TrustAnchors,
    problems: Vec<String>,
    longest: Vec<&'a Cert>,
    checks: usize,
}

impl<'a> Search<'a> {
    /// Verify `cert` against `issuer`, counting against the budget.
    fn issued_by(&mut self, cert: &Cert, issuer: &Cert) -> bool {
        if self.checks >= MAX_SIGNATURE_CHECKS {
            if self.checks == MAX_SIGNATURE_CHECKS {
                self.problems.push(format!(
                    "gave up after {MAX_SIGNATURE_CHECKS} signature checks"
                ));
                self.checks = self.checks.saturating_add(1);
            }
            return false;
        }
        self.checks = self.checks.saturating_add(1);
        match cert.verify_issued_by(issuer) {
            Ok(()) => true,
            Err(e) => {
                self.problems.push(e.to_string());
                false
            }
        }
    }

    fn run(&mut self, path: &mut Vec<&'a Cert>) -> Option<End> {
        let cur = *path.last()?;
        if path.len() > self.longest.len() {
            self.longest = path.clone();
        }
        if let Some(i) = self.anchors.position_same(cur) {
            return Some(End::IsAnchor(i));
        }
        let anchors = self.anchors;
        for (i, a) in anchors.certs.iter().enumerate() {
            if a.subject_name() == cur.issuer_name() && self.issued_by(cur, a) {
                return Some(End::IssuedBy(i));
            }
        }
        if path.len() >= MAX_DEPTH {
            self.problems
                .push(format!("chain longer than {MAX_DEPTH} certificates"));
            return None;
        }
        let pool = self.pool;
        for c in pool {
            if c.subject_name() != cur.issuer_name() || path.iter().any(|p| p.sha256 == c.sha256) {
                continue;
            }
            // Intermediates below `c`, the leaf excluded.
            let below = path.len().saturating_sub(1);
            if let Err(e) = check_ca(c, below) {
                self.problems.push(e);
                continue;
            }
            if self.issued_by(cur, c) {
                path.push(c);
                if let Some(end) = self.run(path) {
                    return Some(end);
                }
                path.pop();
            }
        }
        None
    }
}

/// May `c` issue certificates, with `below` intermediates under it?
fn check_ca(c: &Cert, below: usize) -> Result<(), String> {
    if c.is_v1() {
        return Ok(()); // X.509 v1 CAs predate extensions
    }
    match c.basic_constraints() {
        Ok(Some(bc)) if bc.ca => {
            if let Some(n) = bc.path_len_constraint {
                if below > usize::from(n) {
                    return Err(format!(
                        "'{}' allows {n} intermediate certificates below it, the path has {below}",
                        c.subject
                    ));
                }
            }
        }
        Ok(_) => {
            return Err(format!(
                "'{}' is not a CA (basicConstraints cA is absent or false)",
                c.subject
            ))
        }
        Err(e) => return Err(e.to_string()),
    }
    match c.key_usage() {
        Ok(Some(ku)) if !ku.key_cert_sign() => Err(format!(
            "'{}' has a keyUsage without keyCertSign",
            c.subject
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Check validity period of `c` at `at`.
pub(crate) fn check_validity(c: &Cert, at: SystemTime, at_desc: &str) -> Result<(), Error> {
    if at < c.not_before() {
        return Err(Error::NotYetValid {
            subject: c.subject.clone(),
            not_before: utc_string(c.not_before()),
            at: at_desc.to_string(),
        });
    }
    if at > c.not_after() {
        return Err(Error::CertificateExpired {
            subject: c.subject.clone(),
            not_after: utc_string(c.not_after()),
            at: at_desc.to_string(),
        });
    }
    Ok(())
}

/// Check the leaf's key usage and extended key usage for `usage`.
fn check_leaf_usage(leaf: &Cert, usage: Usage) -> Result<(), Error> {
    if let Some(eku) = leaf.ext_key_usage()? {
        if !eku.0.contains(&usage.oid()) {
            let have: Vec<String> = eku.0.iter().map(ToString::to_string).collect();
            return Err(Error::WrongKeyUsage {
                subject: leaf.subject.clone(),
                reason: format!(
                    "extendedKeyUsage lacks {} (has: {})",
                    usage.name(),
                    have.join(", ")
                ),
            });
        }
    }
    if let Some(ku) = leaf.key_usage()? {
        if !ku.digital_signature() {
            return Err(Error::WrongKeyUsage {
                subject: leaf.subject.clone(),
                reason: "keyUsage lacks digitalSignature".into(),
            });
        }
    }
    Ok(())
}

/// Build a chain from `leaf` through `pool` to one of `anchors`, then check
/// validity at `at` and the leaf's usage.
pub(crate) fn verify_chain(
    leaf: &Cert,
    pool: &[Cert],
    anchors: &TrustAnchors,
    at: SystemTime,
    at_desc: &str,
    usage: Usage,
) -> Result<ChainInfo, Error> {
    let mut s = Search {
        pool,
        anchors,
        problems: Vec::new(),
        longest: Vec::new(),
        checks: 0,
    };
    let mut path = vec![leaf];
    let end = s.run(&mut path);
    let Some(end) = end else {
        let top = s.longest.last().copied().unwrap_or(leaf);
        let walked: Vec<&str> = s.longest.iter().map(|c| c.subject.as_str()).collect();
        let mut reason = format!(
            "no trust anchor found for issuer '{}' (path built: {})",
            top.issuer,
            walked.join(" <- ")
        );
        if anchors.is_empty() {
            reason.push_str("; no trust anchors are configured");
        }
        if !s.problems.is_empty() {
            s.problems.dedup();
            reason.push_str("; rejected candidates: ");
            reason.push_str(&s.problems.join("; "));
        }
        return Err(Error::UntrustedChain { reason });
    };
    let (anchor_idx, anchor_in_path) = match end {
        End::IsAnchor(i) => (i, true),
        End::IssuedBy(i) => (i, false),
    };
    let Some(anchor) = anchors.certs.get(anchor_idx) else {
        return Err(Error::UntrustedChain {
            reason: "internal: anchor index out of range".into(),
        });
    };
    for c in &path {
        check_validity(c, at, at_desc)?;
    }
    if !anchor_in_path {
        check_validity(anchor, at, at_desc)?;
    }
    check_leaf_usage(leaf, usage)?;
    let mut subjects: Vec<String> = path.iter().map(|c| c.subject.clone()).collect();
    if !anchor_in_path {
        subjects.push(anchor.subject.clone());
    }
    Ok(ChainInfo {
        subjects,
        anchor_subject: anchor.subject.clone(),
        anchor_sha256: anchor.sha256_hex(),
    })
}
