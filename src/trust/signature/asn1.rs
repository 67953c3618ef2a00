//! A small TLV cursor over DER, built on `der`'s reader.
//!
//! Why not decode PKCS#7 with the typed `cms` structures: the signature is
//! computed over the *exact bytes* of the signed attributes and of the
//! encapsulated content, and `der` 0.7 sorts `SET OF` elements on decode and
//! rejects duplicates (e.g. the same certificate twice in the bag). Re-encoding
//! a typed value could therefore produce bytes other than those signed. This
//! cursor keeps every element's raw encoding, so hashing works on the original
//! bytes; `der` still does the header/length parsing (definite, minimal
//! lengths only), and typed decoders are applied to leaves (OIDs, certificates).

use crate::trust::signature::error::{malformed, Error};
use der::{Decode, Encode as _, Header, Reader, SliceReader, Tag, TagNumber};

/// One element: its tag, full encoding and content octets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: Tag,
    pub raw: &'a [u8],
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Parse exactly one element from `bytes`, ignoring nothing after it.
    pub fn parse_first(bytes: &'a [u8], at: &str) -> Result<(Tlv<'a>, &'a [u8]), Error> {
        let mut c = Cursor::new(bytes, at)?;
        let t = c.next(at)?;
        let rest = bytes.get(t.raw.len()..).unwrap_or(&[]);
        Ok((t, rest))
    }

    /// Parse `bytes` as exactly one element.
    pub fn parse_exact(bytes: &'a [u8], at: &str) -> Result<Tlv<'a>, Error> {
        let (t, rest) = Self::parse_first(bytes, at)?;
        if !rest.is_empty() {
            return Err(malformed(at, format!("{} trailing bytes", rest.len())));
        }
        Ok(t)
    }

    /// A cursor over this constructed element's children.
    pub fn children(&self, at: &str) -> Result<Cursor<'a>, Error> {
        if !self.tag.is_constructed() {
            return Err(malformed(at, "expected a constructed element"));
        }
        Cursor::new(self.value, at)
    }

    pub fn expect(self, tag: Tag, at: &str) -> Result<Tlv<'a>, Error> {
        if self.tag != tag {
            return Err(malformed(at, format!("expected {tag}, found {}", self.tag)));
        }
        Ok(self)
    }

    /// Check that this element is well-formed DER all the way down: every
    /// constructed element's content octets must be a sequence of complete
    /// elements (definite, minimal lengths, as `der` parses them), to
    /// [`MAX_DEPTH`] levels. Primitive contents are left to their decoders,
    /// except the lengths DER fixes for every BOOLEAN (1), NULL (0), INTEGER,
    /// ENUMERATED and OBJECT IDENTIFIER (at least 1), which OpenSSL enforces
    /// wherever it decodes them, `ANY` algorithm parameters included.
    ///
    /// Why: parts of the envelope that verification does not otherwise read
    /// (the `crls`, unknown certificate choices, algorithm parameters) would
    /// be accepted as opaque bytes; OpenSSL decodes the whole PKCS#7 and
    /// refuses them (see `docs/signature.md`, "Strict DER").
    pub fn check_tree(&self, at: &str) -> Result<(), Error> {
        self.check_tree_at(at, 0)
    }

    fn check_tree_at(&self, at: &str, depth: usize) -> Result<(), Error> {
        if !self.tag.is_constructed() {
            return self.check_primitive_length(at);
        }
        if depth >= MAX_DEPTH {
            return Err(malformed(at, format!("nested more than {MAX_DEPTH} deep")));
        }
        for child in self.children(at)?.rest(at)? {
            child.check_tree_at(at, depth + 1)?;
        }
        Ok(())
    }

    /// The content length DER requires of a universal primitive type.
    fn check_primitive_length(&self, at: &str) -> Result<(), Error> {
        let ok = match self.tag {
            Tag::Boolean => self.value.len() == 1,
            Tag::Null => self.value.is_empty(),
            Tag::Integer | Tag::Enumerated | Tag::ObjectIdentifier => !self.value.is_empty(),
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(malformed(
                at,
                format!("{} with {} content octets", self.tag, self.value.len()),
            ))
        }
    }

    /// Decode as an OBJECT IDENTIFIER.
    pub fn oid(&self, at: &str) -> Result<der::oid::ObjectIdentifier, Error> {
        if self.tag != Tag::ObjectIdentifier {
            return Err(malformed(
                at,
                format!("expected OBJECT IDENTIFIER, found {}", self.tag),
            ));
        }
        der::oid::ObjectIdentifier::from_bytes(self.value)
            .map_err(|e| malformed(at, format!("bad OBJECT IDENTIFIER: {e}")))
    }

    /// Content octets of a primitive OCTET STRING.
    pub fn octets(&self, at: &str) -> Result<&'a [u8], Error> {
        if self.tag != Tag::OctetString {
            return Err(malformed(
                at,
                format!("expected OCTET STRING, found {}", self.tag),
            ));
        }
        Ok(self.value)
    }

    /// A small non-negative INTEGER (a version number), minimally encoded.
    pub fn small_uint(&self, at: &str) -> Result<u8, Error> {
        match self.integer(at)? {
            [v] if *v < 0x80 => Ok(*v),
            other => Err(malformed(
                at,
                format!(
                    "expected a small version number, found INTEGER {}",
                    crate::trust::signature::algorithm::hex(other)
                ),
            )),
        }
    }

    /// Content octets of an INTEGER.
    pub fn integer(&self, at: &str) -> Result<&'a [u8], Error> {
        if self.tag != Tag::Integer || self.value.is_empty() {
            return Err(malformed(
                at,
                format!("expected INTEGER, found {}", self.tag),
            ));
        }
        Ok(self.value)
    }

    /// The same element re-tagged as a universal SET (for signed attributes,
    /// which are signed as `SET OF` but stored as `[0] IMPLICIT`).
    pub fn as_set_encoding(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(self.raw.len());
        let header = Header::new(Tag::Set, self.value.len())
            .map_err(|e| malformed("signed attributes", e.to_string()))?;
        header
            .encode_to_vec(&mut out)
            .map_err(|e| malformed("signed attributes", e.to_string()))?;
        out.extend_from_slice(self.value);
        Ok(out)
    }
}

/// How deep [`Tlv::check_tree`] descends; real signatures stay below 20.
pub(crate) const MAX_DEPTH: usize = 64;

/// Context-specific constructed tag `[n]`.
pub(crate) fn ctx(number: TagNumber) -> Tag {
    Tag::ContextSpecific {
        constructed: true,
        number,
    }
}

/// Context-specific primitive tag `[n]`.
pub(crate) fn ctx_prim(number: TagNumber) -> Tag {
    Tag::ContextSpecific {
        constructed: false,
        number,
    }
}

/// Sequential reader over the children of an element.
pub(crate) struct Cursor<'a> {
    reader: SliceReader<'a>,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8], at: &str) -> Result<Self, Error> {
        let reader =
            SliceReader::new(bytes).map_err(|e| malformed(at, format!("too long: {e}")))?;
        Ok(Cursor { reader })
    }

    pub fn is_empty(&self) -> bool {
        self.reader.is_finished()
    }

    /// Tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<Tag> {
        if self.reader.is_finished() {
            None
        } else {
            self.reader.peek_tag().ok()
        }
    }

    /// Next element.
    pub fn next(&mut self, at: &str) -> Result<Tlv<'a>, Error> {
        if self.reader.is_finished() {
            return Err(malformed(at, "element missing"));
        }
        let raw = self
            .reader
            .tlv_bytes()
            .map_err(|e| malformed(at, format!("bad DER: {e}")))?;
        let mut inner = SliceReader::new(raw).map_err(|e| malformed(at, e.to_string()))?;
        let header = Header::decode(&mut inner).map_err(|e| malformed(at, e.to_string()))?;
        let hl = header
            .encoded_len()
            .and_then(usize::try_from)
            .map_err(|e| malformed(at, e.to_string()))?;
        let value = raw
            .get(hl..)
            .ok_or_else(|| malformed(at, "header longer than element"))?;
        Ok(Tlv {
            tag: header.tag,
            raw,
            value,
        })
    }

    /// Next element, which must have `tag`.
    pub fn expect(&mut self, tag: Tag, at: &str) -> Result<Tlv<'a>, Error> {
        self.next(at)?.expect(tag, at)
    }

    /// Next element if it has `tag`.
    pub fn optional(&mut self, tag: Tag, at: &str) -> Result<Option<Tlv<'a>>, Error> {
        if self.peek_tag() == Some(tag) {
            Ok(Some(self.next(at)?))
        } else {
            Ok(None)
        }
    }

    /// All remaining elements.
    pub fn rest(mut self, at: &str) -> Result<Vec<Tlv<'a>>, Error> {
        let mut v = Vec::new();
        while !self.is_empty() {
            v.push(self.next(at)?);
        }
        Ok(v)
    }
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AlgId<'a> {
    pub oid: der::oid::ObjectIdentifier,
    pub params: Option<Tlv<'a>>,
}

impl<'a> AlgId<'a> {
    pub fn parse(t: &Tlv<'a>, at: &str) -> Result<Self, Error> {
        let t = t.expect(Tag::Sequence, at)?;
        let mut c = t.children(at)?;
        let oid = c.next(at)?.oid(at)?;
        let params = if c.is_empty() {
            None
        } else {
            Some(c.next(at)?)
        };
        if !c.is_empty() {
            return Err(malformed(at, "extra elements in AlgorithmIdentifier"));
        }
        Ok(AlgId { oid, params })
    }
}

/// Upper-case hex of an INTEGER's content octets, leading zero octet removed.
pub(crate) fn serial_hex(v: &[u8]) -> String {
    let v = match v {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => v,
    };
    crate::trust::signature::algorithm::hex(v)
}
