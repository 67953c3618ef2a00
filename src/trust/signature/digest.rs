//! The CAB Authenticode digest, computed in one streaming pass.
//!
//! Why these bytes: signing a cabinet changes the header fields that locate
//! the signature, so the signer (signtool, osslsigncode `cab_digest_calc`,
//! jsign `CABSignature`) hashes everything except them:
//!
//! * bytes 0..4 (`MSCF`), skip 4..8 (reserved1);
//! * bytes 8..34 (cbCabinet .. setID), skip 34..56 (iCabinet, cbCFHeader,
//!   cbCFFolder, cbCFData and the first 16 reserve bytes with the signature
//!   offset and length);
//! * bytes 56..60 (the last 4 reserve bytes);
//! * the prev/next cabinet and disk names (if flagged), the CFFOLDERs (8 bytes
//!   each), then everything from `coffFiles` up to the signature offset.
//!
//! Because the names and CFFOLDERs are contiguous, this is "everything in
//! `[0, sig_offset)` except `[4, 8)` and `[34, 56)`", plus one structural check
//! that the signers make: `coffFiles` must come right after the CFFOLDERs
//! (which also rules out a per-folder reserve in a signed cabinet).
//!
//! [`CabDigester`] accepts the file's bytes sequentially from offset 0 in
//! chunks of any size, so a caller that already reads the whole file (to
//! decompress it) gets the digest from the same pass. It can also keep the
//! signature blob as it streams past.

use crate::trust::signature::algorithm::{DigestAlgorithm, Hasher};
use crate::trust::signature::error::Error;
use crate::trust::signature::header::{
    u16_at, u32_at, SignatureLayout, FLAG_NEXT_CABINET, FLAG_PREV_CABINET, HEAD_LEN,
    MAX_SIGNATURE_LEN,
};
use std::io::{Read, Seek, SeekFrom};

/// Byte ranges of `[0, sig_offset)` that are hashed (end exclusive).
fn hashed_ranges(sig_offset: u64) -> [(u64, u64); 3] {
    [
        (0, 4.min(sig_offset)),
        (8.min(sig_offset), 34.min(sig_offset)),
        (56.min(sig_offset), sig_offset),
    ]
}

/// Results of a [`CabDigester`] pass.
#[derive(Debug, Clone, Default)]
pub struct CabDigests {
    digests: Vec<(DigestAlgorithm, Vec<u8>)>,
    signature_blob: Option<Vec<u8>>,
}

impl CabDigests {
    /// The CAB Authenticode digest for `alg`, if it was computed.
    pub fn get(&self, alg: DigestAlgorithm) -> Option<&[u8]> {
        self.digests
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, d)| d.as_slice())
    }
    /// The signature area, if the digester was asked to keep it and saw it whole.
    pub fn signature_blob(&self) -> Option<&[u8]> {
        self.signature_blob.as_deref()
    }
}

/// Streaming CAB Authenticode digest. Feed the file's bytes in order from
/// offset 0 with [`CabDigester::update`]; bytes past the signature offset are
/// ignored (or kept as the signature blob, see [`CabDigester::keep_signature`]).
pub struct CabDigester {
    layout: SignatureLayout,
    hashers: Vec<(DigestAlgorithm, Hasher)>,
    pos: u64,
    head: Vec<u8>,
    /// Names still to scan (0..=4) once the first 60 bytes are known.
    names_left: Option<u8>,
    /// Offset where the prev/next names end, once known.
    names_end: Option<u64>,
    keep_sig: Option<Vec<u8>>,
}

impl CabDigester {
    /// A digester for the cabinet described by `layout`, computing each of `algs`.
    pub fn new(layout: &SignatureLayout, algs: &[DigestAlgorithm]) -> Self {
        let mut hashers: Vec<(DigestAlgorithm, Hasher)> = Vec::new();
        for a in algs {
            if !hashers.iter().any(|(x, _)| x == a) {
                hashers.push((*a, Hasher::new(*a)));
            }
        }
        CabDigester {
            layout: *layout,
            hashers,
            pos: 0,
            head: Vec::with_capacity(HEAD_LEN),
            names_left: None,
            names_end: None,
            keep_sig: None,
        }
    }

    /// Also collect the signature area as it streams past, so that the caller
    /// can verify from [`CabDigests::signature_blob`] without a second read.
    pub fn keep_signature(mut self) -> Self {
        let cap = self.layout.sig_len.min(MAX_SIGNATURE_LEN) as usize;
        self.keep_sig = Some(Vec::with_capacity(cap));
        self
    }

    /// Bytes fed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Feed the next bytes of the file.
    pub fn update(&mut self, chunk: &[u8]) {
        let start = self.pos;
        let end = start.saturating_add(chunk.len() as u64);
        let sig_off = u64::from(self.layout.sig_offset);

        // Remember the fixed header to check it against the layout.
        if self.head.len() < HEAD_LEN && start < HEAD_LEN as u64 {
            let want = HEAD_LEN - self.head.len();
            let take = want.min(chunk.len());
            if let Some(s) = chunk.get(..take) {
                self.head.extend_from_slice(s);
            }
        }
        if self.names_left.is_none() && self.head.len() == HEAD_LEN {
            let flags = u16_at(&self.head, 30).unwrap_or(0);
            let mut n = 0u8;
            if flags & FLAG_PREV_CABINET != 0 {
                n += 2;
            }
            if flags & FLAG_NEXT_CABINET != 0 {
                n += 2;
            }
            self.names_left = Some(n);
            if n == 0 {
                self.names_end = Some(HEAD_LEN as u64);
            }
        }
        // Scan the NUL-terminated prev/next names that follow byte 60.
        if let Some(left) = self.names_left {
            if left > 0 && end > HEAD_LEN as u64 {
                let from = start.max(HEAD_LEN as u64);
                let mut i = (from - start) as usize;
                let mut left = left;
                while left > 0 {
                    let Some(rest) = chunk.get(i..) else { break };
                    match rest.iter().position(|&b| b == 0) {
                        Some(p) => {
                            i = i.saturating_add(p).saturating_add(1);
                            left -= 1;
                            if left == 0 {
                                self.names_end = Some(start.saturating_add(i as u64));
                            }
                        }
                        None => break,
                    }
                }
                self.names_left = Some(left);
            }
        }
        // Hash the covered ranges.
        for (a, b) in hashed_ranges(sig_off) {
            let lo = a.max(start);
            let hi = b.min(end);
            if lo < hi {
                let (lo_i, hi_i) = ((lo - start) as usize, (hi - start) as usize);
                if let Some(s) = chunk.get(lo_i..hi_i) {
                    for (_, h) in &mut self.hashers {
                        h.update(s);
                    }
                }
            }
        }
        // Keep the signature blob if asked.
        if let Some(buf) = &mut self.keep_sig {
            let sig_end = sig_off.saturating_add(u64::from(self.layout.sig_len));
            let lo = sig_off.max(start);
            let hi = sig_end.min(end);
            if lo < hi && buf.len() < MAX_SIGNATURE_LEN as usize {
                if let Some(s) = chunk.get((lo - start) as usize..(hi - start) as usize) {
                    buf.extend_from_slice(s);
                }
            }
        }
        self.pos = end;
    }

    /// Finish: checks that the whole signed range was fed and that the header
    /// seen in the stream agrees with `layout`, then returns the digests.
    pub fn finalize(self) -> Result<CabDigests, Error> {
        let sig_off = u64::from(self.layout.sig_offset);
        if self.pos < sig_off {
            return Err(Error::SizeMismatch {
                expected: sig_off,
                actual: self.pos,
            });
        }
        let head = &self.head;
        if head.len() < HEAD_LEN || head.get(0..4) != Some(b"MSCF".as_slice()) {
            return Err(Error::NotCabinet {
                reason: "the streamed bytes do not start with a 60-byte MSCF header".into(),
            });
        }
        if u32_at(head, 44) != Some(self.layout.sig_offset)
            || u32_at(head, 48) != Some(self.layout.sig_len)
            || u32_at(head, 8) != Some(self.layout.cb_cabinet)
        {
            return Err(Error::HeaderInconsistent {
                reason:
                    "the streamed header does not match the SignatureLayout it was created with"
                        .into(),
            });
        }
        let coff_files = u64::from(u32_at(head, 16).unwrap_or(0));
        let folders = u64::from(u16_at(head, 26).unwrap_or(0));
        let Some(names_end) = self.names_end else {
            return Err(Error::HeaderInconsistent {
                reason: "the prev/next cabinet names flagged in the header are not NUL-terminated before the signature".into(),
            });
        };
        if names_end > sig_off {
            return Err(Error::HeaderInconsistent {
                reason: format!(
                    "the prev/next cabinet names run to offset {names_end}, past the signature offset {sig_off}"
                ),
            });
        }
        let folders_end = names_end.saturating_add(folders.saturating_mul(8));
        if folders_end != coff_files {
            return Err(Error::HeaderInconsistent {
                reason: format!(
                    "coffFiles is {coff_files} but the {folders} CFFOLDERs (8 bytes each, no per-folder reserve in a signed cabinet) end at {folders_end}"
                ),
            });
        }
        let signature_blob = match self.keep_sig {
            Some(b) if b.len() == self.layout.sig_len as usize => Some(b),
            _ => None,
        };
        Ok(CabDigests {
            digests: self
                .hashers
                .into_iter()
                .map(|(a, h)| (a, h.finalize()))
                .collect(),
            signature_blob,
        })
    }
}

/// Compute the CAB Authenticode digest exactly as osslsigncode and Windows do,
/// streaming from `r` in 1 MiB reads (the file is never loaded whole).
pub fn cab_digest<R: Read + Seek>(
    r: &mut R,
    layout: &SignatureLayout,
    alg: DigestAlgorithm,
) -> Result<Vec<u8>, Error> {
    let mut d = CabDigester::new(layout, &[alg]);
    r.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = u64::from(layout.sig_offset);
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let Some(slot) = buf.get_mut(..want) else {
            break;
        };
        let n = match r.read(slot) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(e)),
        };
        if let Some(s) = buf.get(..n) {
            d.update(s);
        }
        left = left.saturating_sub(n as u64);
    }
    let digests = d.finalize()?;
    digests
        .get(alg)
        .map(<[u8]>::to_vec)
        .ok_or(Error::DigestNotComputed { algorithm: alg })
}
