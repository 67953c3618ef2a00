//! Timestamps: when was the cabinet signed?
//!
//! Why it matters: Microsoft's code-signing leaf certificates live about a
//! year, while a catalog may be checked later. Windows accepts an expired
//! leaf if a trusted timestamp proves the signature was made while it was
//! valid. Two forms exist, both in the signer's *unsigned* attributes:
//!
//! * legacy Authenticode countersignature (`1.2.840.113549.1.9.6`): a
//!   SignerInfo whose `messageDigest` is the hash of the outer signature value
//!   and whose `signingTime` is the time; its certificate is in the outer bag;
//! * RFC 3161 token (`1.3.6.1.4.1.311.3.3.1`): a SignedData over a TSTInfo
//!   whose messageImprint is the hash of the outer signature value and whose
//!   genTime is the time.
//!
//! A timestamp's time is used for validity checks only when its own signature
//! verifies *and* its signer chains to a trust anchor. Otherwise it is reported
//! (with the reason) and validity is checked at "now", which is never more
//! lenient. A self-asserted `signingTime` signed attribute is reported but
//! never used for validation.

use crate::trust::signature::algorithm::{hex, DigestAlgorithm};
use crate::trust::signature::anchors::TrustAnchors;
use crate::trust::signature::asn1::{AlgId, Tlv};
use crate::trust::signature::certs::{utc_string, Cert};
use crate::trust::signature::chain::{verify_chain, Usage};
use crate::trust::signature::error::{malformed, Error};
use crate::trust::signature::pkcs7::{
    check_signer_info, find_signer, single_attr, SignedData, SignerInfo, ID_SIGNING_TIME,
};
use const_oid::ObjectIdentifier;
use der::Tag;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Legacy countersignature attribute.
pub(crate) const ID_COUNTERSIGNATURE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.6");
/// Microsoft's RFC 3161 timestamp attribute.
pub(crate) const ID_MS_RFC3161: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.3.3.1");
/// id-ct-TSTInfo.
const ID_CT_TSTINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Where a signing time came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSource {
    /// Legacy Authenticode countersignature (PKCS#9 counterSignature).
    Countersignature,
    /// RFC 3161 timestamp token.
    Rfc3161,
    /// The signer's own `signingTime` signed attribute (self-asserted).
    SignedAttribute,
    /// No time was found.
    None,
}

impl std::fmt::Display for TimeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeSource::Countersignature => "countersignature",
            TimeSource::Rfc3161 => "RFC 3161 timestamp",
            TimeSource::SignedAttribute => "signingTime signed attribute",
            TimeSource::None => "none",
        })
    }
}

/// Outcome of examining one timestamp.
#[derive(Clone, Debug)]
pub(crate) struct TimestampCheck {
    pub source: TimeSource,
    /// The time, when it could be read.
    pub time: Option<SystemTime>,
    /// Signature verified and signer chained to an anchor.
    pub trusted: bool,
    /// Why it is not trusted, or details.
    pub note: Option<String>,
    /// TSA subject, when known.
    pub signer: Option<String>,
}

/// Parse UTCTime or GeneralizedTime content, tolerating fractional seconds
/// (RFC 3161 genTime may carry them; `der` rejects them).
pub(crate) fn parse_time(t: &Tlv<'_>) -> Option<SystemTime> {
    let s = std::str::from_utf8(t.value).ok()?;
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match t.tag {
        Tag::UtcTime => {
            let yy: u16 = s.get(0..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        Tag::GeneralizedTime => (s.get(0..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let num = |r: std::ops::Range<usize>| -> Option<u8> {
        let p = rest.get(r)?;
        if p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse().ok()
        } else {
            None
        }
    };
    let (mo, d, h, mi, se) = (num(0..2)?, num(2..4)?, num(4..6)?, num(6..8)?, num(8..10)?);
    match rest.get(10..) {
        Some("") => {}
        Some(frac) if frac.starts_with('.') && frac.len() > 1 => {
            if !frac.bytes().skip(1).all(|b| b.is_ascii_digit()) {
                return None;
            }
        }
        _ => return None,
    }
    let dt = der::DateTime::new(year, mo, d, h, mi, se).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(dt.unix_duration().as_secs()))
}

fn time_attr(si: &SignerInfo, at: &str) -> Result<Option<SystemTime>, Error> {
    match single_attr(&si.signed_attrs, ID_SIGNING_TIME, at)? {
        None => Ok(None),
        Some(raw) => {
            let t = Tlv::parse_exact(raw, at)?;
            parse_time(&t)
                .map(Some)
                .ok_or_else(|| malformed(at, "unreadable signingTime"))
        }
    }
}

/// The signer's self-asserted signingTime, if any.
pub(crate) fn signed_attribute_time(si: &SignerInfo) -> Option<SystemTime> {
    time_attr(si, "signedAttrs.signingTime").ok().flatten()
}

/// Examine every timestamp in `outer`'s unsigned attributes.
pub(crate) fn check_timestamps(
    outer: &SignerInfo,
    outer_certs: &[Cert],
    anchors: &TrustAnchors,
) -> Vec<TimestampCheck> {
    let mut out = Vec::new();
    for attr in &outer.unsigned_attrs {
        for value in &attr.values {
            if attr.oid == ID_MS_RFC3161 {
                out.push(rfc3161(value, outer, outer_certs, anchors));
            } else if attr.oid == ID_COUNTERSIGNATURE {
                out.push(countersignature(value, outer, outer_certs, anchors));
            }
        }
    }
    out
}

fn failed(source: TimeSource, time: Option<SystemTime>, e: Error) -> TimestampCheck {
    TimestampCheck {
        source,
        time,
        trusted: false,
        note: Some(e.to_string()),
        signer: None,
    }
}

fn chain_outcome(
    source: TimeSource,
    time: SystemTime,
    tsa: &Cert,
    pool: &[Cert],
    anchors: &TrustAnchors,
) -> TimestampCheck {
    let desc = format!("{} (the timestamp's own time)", utc_string(time));
    match verify_chain(tsa, pool, anchors, time, &desc, Usage::TimeStamping) {
        Ok(_) => TimestampCheck {
            source,
            time: Some(time),
            trusted: true,
            note: None,
            signer: Some(tsa.subject.clone()),
        },
        Err(e) => TimestampCheck {
            source,
            time: Some(time),
            trusted: false,
            note: Some(format!(
                "timestamp signature verified, but its signer is not trusted: {e}"
            )),
            signer: Some(tsa.subject.clone()),
        },
    }
}

fn countersignature(
    raw: &[u8],
    outer: &SignerInfo,
    outer_certs: &[Cert],
    anchors: &TrustAnchors,
) -> TimestampCheck {
    let src = TimeSource::Countersignature;
    let at = "countersignature";
    let si = match Tlv::parse_exact(raw, at).and_then(|t| SignerInfo::parse(&t, at)) {
        Ok(si) => si,
        Err(e) => return failed(src, None, e),
    };
    let time = match time_attr(&si, at) {
        Ok(Some(t)) => t,
        Ok(None) => return failed(src, None, malformed(at, "no signingTime attribute")),
        Err(e) => return failed(src, None, e),
    };
    let cert = match find_signer(&si.sid, &[outer_certs]) {
        Ok(c) => c,
        Err(e) => return failed(src, Some(time), e),
    };
    if let Err(e) = check_signer_info(&si, &outer.signature, cert, None, at) {
        return failed(src, Some(time), e);
    }
    chain_outcome(src, time, cert, outer_certs, anchors)
}

fn rfc3161(
    raw: &[u8],
    outer: &SignerInfo,
    outer_certs: &[Cert],
    anchors: &TrustAnchors,
) -> TimestampCheck {
    let src = TimeSource::Rfc3161;
    let at = "RFC 3161 timestamp";
    let sd = match SignedData::parse_content_info(raw, at) {
        Ok((sd, [])) => sd,
        Ok(_) => return failed(src, None, malformed(at, "trailing bytes after the token")),
        Err(e) => return failed(src, None, e),
    };
    if sd.content_type != ID_CT_TSTINFO {
        return failed(
            src,
            None,
            malformed(
                at,
                format!("content type {} is not TSTInfo", sd.content_type),
            ),
        );
    }
    let (imprint_alg, imprint, time) = match parse_tstinfo(&sd.content_tlv) {
        Ok(v) => v,
        Err(e) => return failed(src, None, e),
    };
    let actual = imprint_alg.hash(&outer.signature);
    if actual != imprint {
        return failed(
            src,
            Some(time),
            Error::MessageDigestMismatch {
                at: format!("{at} messageImprint (hash of the signer's signature value)"),
                expected_hex: hex(&imprint),
                actual_hex: hex(&actual),
            },
        );
    }
    let cert = match find_signer(&sd.signer.sid, &[&sd.certs, outer_certs]) {
        Ok(c) => c,
        Err(e) => return failed(src, Some(time), e),
    };
    if let Err(e) = check_signer_info(&sd.signer, &sd.content_value, cert, Some(ID_CT_TSTINFO), at)
    {
        return failed(src, Some(time), e);
    }
    let mut pool = sd.certs.clone();
    pool.extend(outer_certs.iter().cloned());
    chain_outcome(src, time, cert, &pool, anchors)
}

/// TSTInfo: returns messageImprint (algorithm, hash) and genTime.
fn parse_tstinfo(content_tlv: &[u8]) -> Result<(DigestAlgorithm, Vec<u8>, SystemTime), Error> {
    let at = "TSTInfo";
    // The encapsulated content is an OCTET STRING holding the TSTInfo DER.
    let os = Tlv::parse_exact(content_tlv, at)?;
    let inner = os.octets(at)?;
    let t = Tlv::parse_exact(inner, at)?.expect(Tag::Sequence, at)?;
    let mut c = t.children(at)?;
    c.next(&format!("{at}.version"))?
        .integer(&format!("{at}.version"))?;
    c.next(&format!("{at}.policy"))?
        .oid(&format!("{at}.policy"))?;
    let mi_at = format!("{at}.messageImprint");
    let mi = c.expect(Tag::Sequence, &mi_at)?;
    let mut m = mi.children(&mi_at)?;
    let alg = AlgId::parse(&m.next(&mi_at)?, &mi_at)?;
    let alg = DigestAlgorithm::from_oid(&alg.oid).ok_or_else(|| Error::UnsupportedAlgorithm {
        at: mi_at.clone(),
        oid: alg.oid.to_string(),
    })?;
    let hashed = m.next(&mi_at)?.octets(&mi_at)?.to_vec();
    c.next(&format!("{at}.serialNumber"))?
        .integer(&format!("{at}.serialNumber"))?;
    let gt = c.expect(Tag::GeneralizedTime, &format!("{at}.genTime"))?;
    let time = parse_time(&gt).ok_or_else(|| malformed(at, "unreadable genTime"))?;
    Ok((alg, hashed, time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(tag: Tag, s: &str) -> Option<u64> {
        let tlv = Tlv {
            tag,
            raw: s.as_bytes(),
            value: s.as_bytes(),
        };
        parse_time(&tlv).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs())
    }

    #[test]
    fn generalized_time_with_and_without_fraction() {
        assert_eq!(
            t(Tag::GeneralizedTime, "20200520184000Z"),
            Some(1_590_000_000)
        );
        assert_eq!(
            t(Tag::GeneralizedTime, "20200520184000.123Z"),
            Some(1_590_000_000)
        );
        assert_eq!(t(Tag::UtcTime, "200520184000Z"), Some(1_590_000_000));
        // UTCTime years 50..99 are 19xx, 00..49 are 20xx (RFC 5280).
        assert!(
            t(Tag::UtcTime, "500101000000Z").is_none(),
            "1950 is before the epoch"
        );
        assert!(t(Tag::UtcTime, "491231235959Z").unwrap() > 2_000_000_000);
    }

    #[test]
    fn malformed_times_are_none() {
        for s in [
            "",
            "Z",
            "2020052018400Z",
            "20200520184000",
            "20200520184000.Z",
            "2020052018400aZ",
            "20201320184000Z",
            "20200520184000+0100",
        ] {
            assert_eq!(t(Tag::GeneralizedTime, s), None, "{s}");
        }
        assert_eq!(t(Tag::Integer, "20200520184000Z"), None);
    }
}
