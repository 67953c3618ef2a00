//! PKCS#7 / CMS `SignedData` as used by Authenticode and RFC 3161 tokens.
//!
//! Why a hand walk instead of `cms` types: see `asn1.rs`. What is kept is what
//! verification needs, as owned bytes: the encapsulated content's octets
//! (the `messageDigest` attribute covers them), the signed attributes
//! re-tagged as `SET OF` (the signature covers that encoding), the signature
//! value, the unsigned attributes (timestamps), and the certificate bag.
//!
//! Authenticode is PKCS#7 v1.5: the content is `[0] EXPLICIT
//! SpcIndirectDataContent` and its digest covers the SEQUENCE's content
//! octets, without tag and length. RFC 3161 tokens are CMS: the content is
//! `[0] EXPLICIT OCTET STRING` and the digest covers the octets. In both cases
//! that is the *value* of the element inside `[0]`, which is what we store.
//! The corpus files (jsign, osslsigncode, gcab) confirm the PKCS#7 variant.

use crate::trust::signature::algorithm::{hex, DigestAlgorithm};
use crate::trust::signature::asn1::{ctx, ctx_prim, AlgId, Cursor, Tlv};
use crate::trust::signature::certs::{verify_with_key, Cert, Scheme};
use crate::trust::signature::error::{malformed, Error};
use const_oid::ObjectIdentifier;
use der::{Decode, Tag, TagNumber};
use x509_cert::name::Name;

/// id-signedData.
pub(crate) const ID_SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-contentType attribute.
pub(crate) const ID_CONTENT_TYPE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// id-messageDigest attribute.
pub(crate) const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// id-signingTime attribute.
pub(crate) const ID_SIGNING_TIME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

/// How a SignerInfo names its certificate.
#[derive(Clone, Debug)]
pub(crate) enum SignerId {
    IssuerSerial {
        issuer: Name,
        issuer_text: String,
        serial: Vec<u8>,
    },
    SubjectKeyId(Vec<u8>),
}

impl SignerId {
    pub fn describe(&self) -> String {
        match self {
            SignerId::IssuerSerial {
                issuer_text,
                serial,
                ..
            } => format!(
                "issuer '{issuer_text}', serial {}",
                crate::trust::signature::asn1::serial_hex(serial)
            ),
            SignerId::SubjectKeyId(k) => {
                format!(
                    "subject key identifier {}",
                    crate::trust::signature::algorithm::hex(k)
                )
            }
        }
    }

    /// Does `cert` match this identifier?
    pub fn matches(&self, cert: &Cert) -> bool {
        match self {
            SignerId::IssuerSerial { issuer, serial, .. } => {
                cert.issuer_name() == issuer && strip0(cert.serial()) == strip0(serial)
            }
            SignerId::SubjectKeyId(k) => cert.subject_key_id().as_deref() == Some(k.as_slice()),
        }
    }
}

fn strip0(v: &[u8]) -> &[u8] {
    match v {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => v,
    }
}

/// One attribute: type and the raw encodings of its values.
#[derive(Clone, Debug)]
pub(crate) struct Attribute {
    pub oid: ObjectIdentifier,
    pub values: Vec<Vec<u8>>,
}

fn parse_attributes(t: &Tlv<'_>, at: &str) -> Result<Vec<Attribute>, Error> {
    let mut out = Vec::new();
    for a in t.children(at)?.rest(at)? {
        let a = a.expect(Tag::Sequence, at)?;
        let mut c = a.children(at)?;
        let oid = c.next(at)?.oid(at)?;
        let set = c.expect(Tag::Set, at)?;
        let values = set
            .children(at)?
            .rest(at)?
            .into_iter()
            .map(|v| v.raw.to_vec())
            .collect();
        out.push(Attribute { oid, values });
    }
    Ok(out)
}

/// The single value of attribute `oid`; errors if repeated or multi-valued.
pub(crate) fn single_attr<'a>(
    attrs: &'a [Attribute],
    oid: ObjectIdentifier,
    at: &str,
) -> Result<Option<&'a [u8]>, Error> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(a) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(malformed(at, format!("attribute {oid} appears twice")));
    }
    match a.values.as_slice() {
        [v] => Ok(Some(v.as_slice())),
        _ => Err(malformed(
            at,
            format!("attribute {oid} must have exactly one value"),
        )),
    }
}

/// A parsed SignerInfo.
#[derive(Clone, Debug)]
pub(crate) struct SignerInfo {
    /// CMSVersion: 1 with an issuer and serial, 3 with a subject key id.
    pub version: u8,
    pub sid: SignerId,
    pub digest_alg: DigestAlgorithm,
    /// Signed attributes re-encoded with the universal SET tag (what is signed).
    pub signed_attrs_der: Option<Vec<u8>>,
    pub signed_attrs: Vec<Attribute>,
    pub sig_alg_oid: ObjectIdentifier,
    pub sig_alg_params: Option<Vec<u8>>,
    pub signature: Vec<u8>,
    pub unsigned_attrs: Vec<Attribute>,
}

impl SignerInfo {
    pub fn parse(t: &Tlv<'_>, at: &str) -> Result<SignerInfo, Error> {
        let t = t.expect(Tag::Sequence, at)?;
        let mut c = t.children(at)?;
        let version_at = format!("{at}.version");
        let version = c.next(&version_at)?.small_uint(&version_at)?;
        let sid_at = format!("{at}.sid");
        let sid_t = c.next(&sid_at)?;
        sid_t.check_tree(&sid_at)?;
        let sid = if sid_t.tag == Tag::Sequence {
            let mut s = sid_t.children(&sid_at)?;
            let issuer_t = s.expect(Tag::Sequence, &sid_at)?;
            let issuer = Name::from_der(issuer_t.raw)
                .map_err(|e| malformed(&sid_at, format!("bad issuer name: {e}")))?;
            let serial = s.next(&sid_at)?.integer(&sid_at)?.to_vec();
            SignerId::IssuerSerial {
                issuer_text: issuer.to_string(),
                issuer,
                serial,
            }
        } else if sid_t.tag == ctx_prim(TagNumber::N0) {
            SignerId::SubjectKeyId(sid_t.value.to_vec())
        } else {
            return Err(malformed(&sid_at, format!("unexpected tag {}", sid_t.tag)));
        };
        check_signer_info_version(version, &sid, &version_at)?;
        let dalg_at = format!("{at}.digestAlgorithm");
        let dalg_t = c.next(&dalg_at)?;
        dalg_t.check_tree(&dalg_at)?;
        let dalg = AlgId::parse(&dalg_t, &dalg_at)?;
        let digest_alg =
            DigestAlgorithm::from_oid(&dalg.oid).ok_or_else(|| Error::UnsupportedAlgorithm {
                at: dalg_at.clone(),
                oid: dalg.oid.to_string(),
            })?;
        let sa_at = format!("{at}.signedAttrs");
        let (signed_attrs_der, signed_attrs) = match c.optional(ctx(TagNumber::N0), &sa_at)? {
            Some(sa) => {
                sa.check_tree(&sa_at)?;
                (Some(sa.as_set_encoding()?), parse_attributes(&sa, &sa_at)?)
            }
            None => (None, Vec::new()),
        };
        let salg_at = format!("{at}.signatureAlgorithm");
        let salg_t = c.next(&salg_at)?;
        salg_t.check_tree(&salg_at)?;
        let salg = AlgId::parse(&salg_t, &salg_at)?;
        let signature = c
            .next(&format!("{at}.signature"))?
            .octets(&format!("{at}.signature"))?
            .to_vec();
        let ua_at = format!("{at}.unsignedAttrs");
        let unsigned_attrs = match c.optional(ctx(TagNumber::N1), &ua_at)? {
            Some(ua) => parse_attributes(&ua, &ua_at)?,
            None => Vec::new(),
        };
        if !c.is_empty() {
            return Err(malformed(at, "unexpected trailing elements"));
        }
        Ok(SignerInfo {
            version,
            sid,
            digest_alg,
            signed_attrs_der,
            signed_attrs,
            sig_alg_oid: salg.oid,
            sig_alg_params: salg.params.map(|p| p.raw.to_vec()),
            signature,
            unsigned_attrs,
        })
    }
}

/// A parsed SignedData with exactly one signer.
#[derive(Clone, Debug)]
pub(crate) struct SignedData {
    /// CMSVersion of the SignedData (1 for Authenticode, 3 for most RFC 3161 tokens).
    pub version: u8,
    pub content_type: ObjectIdentifier,
    /// Full encoding of the element inside `[0] EXPLICIT`.
    pub content_tlv: Vec<u8>,
    /// Its content octets: what `messageDigest` covers.
    pub content_value: Vec<u8>,
    pub certs: Vec<Cert>,
    /// Certificates of the bag that could not be parsed (reason each).
    pub cert_errors: Vec<String>,
    pub signer: SignerInfo,
}

impl SignedData {
    /// Parse a `ContentInfo` holding `SignedData` from `bytes`; returns the
    /// bytes after the ContentInfo element (padding, for the caller to judge).
    pub fn parse_content_info<'a>(
        bytes: &'a [u8],
        at: &str,
    ) -> Result<(SignedData, &'a [u8]), Error> {
        let (ci, rest) = Tlv::parse_first(bytes, at)?;
        let ci = ci.expect(Tag::Sequence, at)?;
        let mut c = ci.children(at)?;
        let ct = c.next(&format!("{at}.contentType"))?.oid(at)?;
        if ct != ID_SIGNED_DATA {
            return Err(malformed(
                at,
                format!("content type is {ct}, expected signedData ({ID_SIGNED_DATA})"),
            ));
        }
        let explicit = c.expect(ctx(TagNumber::N0), &format!("{at}.content"))?;
        let mut e = explicit.children(at)?;
        let sd = e.expect(Tag::Sequence, &format!("{at}.SignedData"))?;
        Ok((Self::parse_signed_data(&sd, at)?, rest))
    }

    fn parse_signed_data(sd: &Tlv<'_>, at: &str) -> Result<SignedData, Error> {
        let at = format!("{at}.SignedData");
        let mut c: Cursor<'_> = sd.children(&at)?;
        let version_at = format!("{at}.version");
        let version = c.next(&version_at)?.small_uint(&version_at)?;
        if !SIGNED_DATA_VERSIONS.contains(&version) {
            return Err(malformed(
                &version_at,
                format!("version {version}; CMS (RFC 5652 5.1) allows 1, 3, 4 or 5"),
            ));
        }
        let da_at = format!("{at}.digestAlgorithms");
        let digest_algorithms: Vec<ObjectIdentifier> =
            parse_digest_algorithms(&c.expect(Tag::Set, &da_at)?, &da_at)?;
        let eci_at = format!("{at}.contentInfo");
        let eci = c.expect(Tag::Sequence, &eci_at)?;
        eci.check_tree(&eci_at)?;
        let mut ec = eci.children(&eci_at)?;
        let content_type = ec.next(&eci_at)?.oid(&eci_at)?;
        let wrapped = ec
            .optional(ctx(TagNumber::N0), &eci_at)?
            .ok_or_else(|| malformed(&eci_at, "no encapsulated content (detached signature)"))?;
        let inner = Tlv::parse_exact(wrapped.value, &eci_at)?;

        let mut certs = Vec::new();
        let mut cert_errors = Vec::new();
        let certs_at = format!("{at}.certificates");
        if let Some(bag) = c.optional(ctx(TagNumber::N0), &certs_at)? {
            bag.check_tree(&certs_at)?;
            for choice in bag.children(&certs_at)?.rest(&certs_at)? {
                if choice.tag != Tag::Sequence {
                    continue; // attribute/other certificate formats: not used here
                }
                match Cert::from_der(choice.raw) {
                    Ok(cert) => {
                        if !certs.iter().any(|x: &Cert| x.sha256 == cert.sha256) {
                            certs.push(cert);
                        }
                    }
                    Err(e) => cert_errors.push(e.to_string()),
                }
            }
        }
        let crls_at = format!("{at}.crls");
        if let Some(crls) = c.optional(ctx(TagNumber::N1), &crls_at)? {
            crls.check_tree(&crls_at)?;
        }
        let si_at = format!("{at}.signerInfos");
        let signers = c.expect(Tag::Set, &si_at)?.children(&si_at)?.rest(&si_at)?;
        let signer_tlv = match signers.as_slice() {
            [one] => one,
            [] => return Err(malformed(&si_at, "no SignerInfo")),
            more => {
                return Err(malformed(
                    &si_at,
                    format!(
                        "{} SignerInfos, Authenticode allows exactly one",
                        more.len()
                    ),
                ))
            }
        };
        let signer = SignerInfo::parse(signer_tlv, &format!("{si_at}[0]"))?;
        if !c.is_empty() {
            return Err(malformed(&at, "unexpected elements after signerInfos"));
        }
        if !digest_algorithms
            .iter()
            .any(|o| DigestAlgorithm::from_oid(o) == Some(signer.digest_alg))
        {
            return Err(malformed(
                &da_at,
                format!(
                    "the signer's digest algorithm {} is not listed",
                    signer.digest_alg
                ),
            ));
        }
        if version == 1 && signer.version != 1 {
            return Err(malformed(
                &format!("{si_at}[0].version"),
                format!(
                    "SignerInfo version {} in a version 1 SignedData (RFC 5652 5.1: a version 3 SignerInfo makes the SignedData version 3)",
                    signer.version
                ),
            ));
        }
        Ok(SignedData {
            version,
            content_type,
            content_tlv: inner.raw.to_vec(),
            content_value: inner.value.to_vec(),
            certs,
            cert_errors,
            signer,
        })
    }
}

/// SignedData versions RFC 5652 5.1 can produce.
const SIGNED_DATA_VERSIONS: [u8; 4] = [1, 3, 4, 5];

/// `digestAlgorithms DigestAlgorithmIdentifiers ::= SET OF
/// DigestAlgorithmIdentifier`: every element must be a well-formed
/// AlgorithmIdentifier; the OIDs, in order. Unknown algorithms are allowed
/// here (only the signer's one is used, and must be listed).
fn parse_digest_algorithms(set: &Tlv<'_>, at: &str) -> Result<Vec<ObjectIdentifier>, Error> {
    set.check_tree(at)?;
    let mut oids = Vec::new();
    for (i, t) in set.children(at)?.rest(at)?.iter().enumerate() {
        oids.push(AlgId::parse(t, &format!("{at}[{i}]"))?.oid);
    }
    if oids.is_empty() {
        return Err(malformed(
            at,
            "empty SET (the signer's algorithm must be listed)",
        ));
    }
    Ok(oids)
}

/// CMS (RFC 5652 5.3): SignerInfo version 1 goes with issuerAndSerialNumber,
/// version 3 with subjectKeyIdentifier; nothing else exists.
fn check_signer_info_version(version: u8, sid: &SignerId, at: &str) -> Result<(), Error> {
    let (want, kind) = match sid {
        SignerId::IssuerSerial { .. } => (1, "issuerAndSerialNumber"),
        SignerId::SubjectKeyId(_) => (3, "subjectKeyIdentifier"),
    };
    if version != want {
        return Err(malformed(
            at,
            format!("version {version} with a {kind} signer identifier; CMS requires {want}"),
        ));
    }
    Ok(())
}

/// Can `cert`'s key sign documents? A keyUsage extension without
/// digitalSignature (and without nonRepudiation) restricts the key to
/// certificates/CRLs (RFC 5280 4.2.1.3), so such a certificate cannot be a
/// SignerInfo's signer even if its issuer and serial match (test CAs that
/// reuse serial 1 produce exactly that collision, e.g. gcab/test-signed.cab).
fn may_sign_documents(cert: &Cert) -> bool {
    match cert.key_usage() {
        Ok(Some(ku)) => ku.digital_signature() || ku.non_repudiation(),
        Ok(None) => true,
        Err(_) => false,
    }
}

/// Find the certificate named by `sid` among `pools` (searched in order).
pub(crate) fn find_signer<'a>(sid: &SignerId, pools: &[&'a [Cert]]) -> Result<&'a Cert, Error> {
    let matching: Vec<&Cert> = pools
        .iter()
        .flat_map(|p| p.iter())
        .filter(|c| sid.matches(c))
        .collect();
    if let Some(c) = matching.iter().find(|c| may_sign_documents(c)) {
        return Ok(c);
    }
    let note = matching
        .first()
        .map(|c| {
            format!(
                "'{}' has the same issuer and serial, but its keyUsage does not allow signing documents, so it is not the signer",
                c.subject
            )
        });
    Err(Error::SignerCertificateMissing {
        signer_id: sid.describe(),
        bag: pools
            .iter()
            .flat_map(|p| p.iter())
            .map(|c| c.subject.clone())
            .collect(),
        note,
    })
}

/// Check `messageDigest` of `si` against `data`, and the signature over the
/// signed attributes with `cert`.
pub(crate) fn check_signer_info(
    si: &SignerInfo,
    data: &[u8],
    cert: &Cert,
    expected_content_type: Option<ObjectIdentifier>,
    at: &str,
) -> Result<(), Error> {
    let Some(attrs_der) = &si.signed_attrs_der else {
        return Err(malformed(
            at,
            "no signed attributes (Authenticode requires them)",
        ));
    };
    let md = single_attr(&si.signed_attrs, ID_MESSAGE_DIGEST, at)?
        .ok_or_else(|| malformed(at, "no messageDigest signed attribute"))?;
    let md = Tlv::parse_exact(md, at)?.octets(at)?;
    let actual = si.digest_alg.hash(data);
    if md != actual.as_slice() {
        return Err(Error::MessageDigestMismatch {
            at: at.to_string(),
            expected_hex: hex(md),
            actual_hex: hex(&actual),
        });
    }
    if let (Some(want), Some(ct)) = (
        expected_content_type,
        single_attr(&si.signed_attrs, ID_CONTENT_TYPE, at)?,
    ) {
        let got = Tlv::parse_exact(ct, at)?.oid(at)?;
        if got != want {
            return Err(malformed(
                at,
                format!("contentType attribute is {got}, expected {want}"),
            ));
        }
    }
    let scheme = Scheme::from_alg(
        &si.sig_alg_oid,
        si.sig_alg_params.as_deref(),
        Some(si.digest_alg),
        at,
    )?;
    verify_with_key(
        cert,
        scheme,
        attrs_der,
        &si.signature,
        &format!(
            "{at}: signature over the signed attributes does not verify with '{}'",
            cert.subject
        ),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The signature blob of testdata/sample-wsusscn2.cab.
    pub(crate) fn sample_blob() -> Vec<u8> {
        let cab = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample-wsusscn2.cab"),
        )
        .unwrap();
        let off = u32::from_le_bytes(cab[44..48].try_into().unwrap()) as usize;
        let len = u32::from_le_bytes(cab[48..52].try_into().unwrap()) as usize;
        cab[off..off + len].to_vec()
    }

    fn offset(blob: &[u8], t: &Tlv<'_>) -> usize {
        t.raw.as_ptr() as usize - blob.as_ptr() as usize
    }

    /// Offsets in the blob of SignedData.version, SignedData.digestAlgorithms
    /// and the SignerInfo's version, found by parsing.
    pub(crate) fn landmarks(blob: &[u8]) -> (usize, usize, usize) {
        let (ci, _) = Tlv::parse_first(blob, "t").unwrap();
        let mut c = ci.children("t").unwrap();
        c.next("t").unwrap();
        let explicit = c.next("t").unwrap();
        let sd = explicit.children("t").unwrap().next("t").unwrap();
        let items = sd.children("t").unwrap().rest("t").unwrap();
        let signers = items.last().unwrap();
        let si = signers.children("t").unwrap().next("t").unwrap();
        let si_version = si.children("t").unwrap().next("t").unwrap();
        (
            offset(blob, &items[0]),
            offset(blob, &items[1]),
            offset(blob, &si_version),
        )
    }

    fn parse_err(blob: &[u8]) -> String {
        SignedData::parse_content_info(blob, "ContentInfo")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_sample_signature_parses() {
        let blob = sample_blob();
        let (sd, _) = SignedData::parse_content_info(&blob, "ContentInfo").unwrap();
        assert_eq!((sd.version, sd.signer.version), (1, 1));
        let (v, da, siv) = landmarks(&blob);
        assert_eq!(&blob[v..v + 3], [2, 1, 1]);
        assert_eq!(blob[da], 0x31);
        assert_eq!(&blob[siv..siv + 3], [2, 1, 1]);
    }

    #[test]
    fn digest_algorithms_must_be_well_formed_der() {
        let blob = sample_blob();
        let (_, da, _) = landmarks(&blob);
        // The inner AlgorithmIdentifier's length reaches past the SET.
        let mut bad = blob.clone();
        bad[da + 3] += 1;
        let e = parse_err(&bad);
        assert!(e.contains("SignedData.digestAlgorithms"), "{e}");
        // The inner element is not a SEQUENCE.
        let mut bad = blob.clone();
        bad[da + 2] = 0x04;
        let e = parse_err(&bad);
        assert!(e.contains("SignedData.digestAlgorithms[0]"), "{e}");
        // Its OID's tag is damaged: now a NULL with content, which the
        // SET's check_tree refuses before the element is read.
        let mut bad = blob;
        bad[da + 4] = 0x05;
        let e = parse_err(&bad);
        assert!(
            e.contains("SignedData.digestAlgorithms") && e.contains("NULL with 9 content octets"),
            "{e}"
        );
    }

    #[test]
    fn digest_algorithms_must_list_the_signers_algorithm() {
        let blob = sample_blob();
        let (_, da, _) = landmarks(&blob);
        // SHA-256 (2.16.840.1.101.3.4.2.1) becomes SHA-384 (...2.2).
        let mut bad = blob.clone();
        let last = da + 2 + 2 + 2 + 8;
        assert_eq!(bad[last], 1);
        bad[last] = 2;
        let e = parse_err(&bad);
        assert!(e.contains("SHA-256 is not listed"), "{e}");
    }

    #[test]
    fn signed_data_version_must_be_one_cms_allows() {
        let blob = sample_blob();
        let (v, _, _) = landmarks(&blob);
        for (version, expect) in [
            (0u8, "allows 1, 3, 4 or 5"),
            (2, "allows 1, 3, 4 or 5"),
            (0x80, "small version number"),
        ] {
            let mut bad = blob.clone();
            bad[v + 2] = version;
            let e = parse_err(&bad);
            assert!(e.contains(expect), "version {version}: {e}");
        }
        let mut v3 = blob.clone();
        v3[v + 2] = 3;
        let (sd, _) = SignedData::parse_content_info(&v3, "ContentInfo").unwrap();
        assert_eq!(sd.version, 3);
    }

    #[test]
    fn signer_info_version_must_match_its_identifier() {
        let blob = sample_blob();
        let (_, _, siv) = landmarks(&blob);
        for version in [0u8, 2, 3, 4] {
            let mut bad = blob.clone();
            bad[siv + 2] = version;
            let e = parse_err(&bad);
            assert!(
                e.contains("issuerAndSerialNumber signer identifier; CMS requires 1"),
                "version {version}: {e}"
            );
        }
        let sid = SignerId::SubjectKeyId(vec![1]);
        assert!(check_signer_info_version(3, &sid, "t").is_ok());
        assert!(check_signer_info_version(1, &sid, "t").is_err());
    }

    #[test]
    fn check_tree_refuses_damage_below_the_top() {
        // SEQUENCE { SEQUENCE { OCTET STRING (length 3, 2 bytes present) } }
        let bad = [0x30, 0x06, 0x30, 0x04, 0x04, 0x03, 0xAA, 0xBB];
        let t = Tlv::parse_exact(&bad, "t").unwrap();
        assert!(t.check_tree("t").is_err());
        // Non-minimal length inside.
        let bad = [0x30, 0x05, 0x30, 0x81, 0x02, 0x05, 0x00];
        let t = Tlv::parse_exact(&bad, "t").unwrap();
        assert!(t.check_tree("t").is_err());
        // An AlgorithmIdentifier whose NULL parameters became an empty
        // BOOLEAN (OpenSSL refuses it), or a NULL with content.
        for bad in [
            &[0x30, 0x04, 0x06, 0x00, 0x01, 0x00][..],
            &[0x30, 0x05, 0x06, 0x01, 0x2A, 0x01, 0x00],
            &[0x30, 0x06, 0x06, 0x01, 0x2A, 0x05, 0x01, 0x00],
        ] {
            let t = Tlv::parse_exact(bad, "t").unwrap();
            assert!(t.check_tree("t").is_err(), "{bad:02x?}");
        }
        let good = [0x30, 0x04, 0x30, 0x02, 0x05, 0x00];
        Tlv::parse_exact(&good, "t")
            .unwrap()
            .check_tree("t")
            .unwrap();
        // Too deep.
        let mut deep = vec![0x05, 0x00];
        for _ in 0..crate::trust::signature::asn1::MAX_DEPTH + 1 {
            let n = deep.len();
            let mut outer = match n {
                0..=127 => vec![0x30, n as u8],
                128..=255 => vec![0x30, 0x81, n as u8],
                _ => vec![0x30, 0x82, (n >> 8) as u8, n as u8],
            };
            outer.extend_from_slice(&deep);
            deep = outer;
        }
        let t = Tlv::parse_exact(&deep, "t").unwrap();
        assert!(t.check_tree("t").is_err());
    }
}
