//! CFHEADER preflight: where the signature lives, and whether the file has the
//! size its header promises.
//!
//! Why a separate O(1) step: the outer catalog is ~650 MB and Microsoft's CDN
//! has served truncated copies of the right name. A signed cabinet stores its
//! PKCS#7 blob right after the cabinet data, and the blob's offset and length
//! sit in the 20-byte header reserve, so `offset + length == file size` can be
//! checked from the first 60 bytes and `stat()`, before any hashing or
//! decompression. The layout follows the MS-CAB CFHEADER:
//!
//! ```text
//!  0 "MSCF"  4 reserved1  8 cbCabinet  12 reserved2  16 coffFiles  20 reserved3
//! 24 versionMinor  25 versionMajor  26 cFolders  28 cFiles  30 flags  32 setID
//! 34 iCabinet  [flags & 4: 36 cbCFHeader(u16) 38 cbCFFolder 39 cbCFData 40 reserve...]
//! Authenticode reserve (cbCFHeader == 20): 40: 00 00 10 00, 44: sig offset, 48: sig len, 52: 8 bytes
//! (zero as signers write them; 52..56 are not hashed and not checked, 56..60 are hashed)
//! ```

use crate::trust::signature::error::Error;
use std::io::{Read, Seek, SeekFrom};

/// Bytes of the header that `preflight` needs for a signed cabinet.
pub const HEAD_LEN: usize = 60;

/// Largest signature blob we agree to load (real ones are a few KB).
pub const MAX_SIGNATURE_LEN: u32 = 16 * 1024 * 1024;

/// Header flag: the reserve fields are present.
pub(crate) const FLAG_RESERVE_PRESENT: u16 = 0x0004;
pub(crate) const FLAG_PREV_CABINET: u16 = 0x0001;
pub(crate) const FLAG_NEXT_CABINET: u16 = 0x0002;

/// Signature area location parsed from the CFHEADER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureLayout {
    /// `cbCabinet`: size of the cabinet proper, excluding the signature.
    pub cb_cabinet: u32,
    /// File offset of the PKCS#7 blob (u32 at byte 44).
    pub sig_offset: u32,
    /// Length of the PKCS#7 blob area (u32 at byte 48), padding included.
    pub sig_len: u32,
    /// The file length the layout was checked against.
    pub file_len: u64,
}

/// What the preflight learned from the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    /// `Some` when the cabinet has an Authenticode signature area.
    pub signed: Option<SignatureLayout>,
    /// `cbCabinet` (u32 at byte 8).
    pub cb_cabinet: u32,
    /// `coffFiles` (u32 at byte 16).
    pub coff_files: u32,
    /// `cFolders`.
    pub folders: u16,
    /// `cFiles`.
    pub files: u16,
    /// `flags`.
    pub flags: u16,
}

pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([*s.first()?, *s.get(1)?]))
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(s);
    Some(u32::from_le_bytes(a))
}

fn short(what: &str, need: usize, have: usize) -> Error {
    Error::NotCabinet {
        reason: format!("{what} needs {need} header bytes, only {have} available"),
    }
}

/// O(1) preflight from the first bytes of the file (at least 60 bytes, or the
/// whole file if shorter) and the file length.
///
/// Checks the `MSCF` magic, version 1.3 and that offsets lie inside the file.
/// Signed (flags & 4, cbCFHeader == 20, reserve starting `00 00 10 00`):
/// `sig_offset == cbCabinet` and `sig_offset + sig_len == file_len`, and
/// that the unhashed `reserved1` is 0 and, outside a set, `iCabinet` is 0
/// ([`Error::HeaderInconsistent`]).
/// Unsigned: `cbCabinet == file_len`. A size mismatch is
/// [`Error::SizeMismatch`] (truncated or padded download).
pub fn preflight(head: &[u8], file_len: u64) -> Result<Preflight, Error> {
    check_head(head, file_len)?;
    let fixed = FixedHeader::parse(head)?;
    let signed = authenticode_reserve(head, &fixed, file_len)?;
    match &signed {
        Some(layout) => {
            check_signed_layout(layout, &fixed, file_len)?;
            check_signed_unhashed_fields(&fixed)?;
        }
        None => check_unsigned_layout(&fixed, file_len)?,
    }
    Ok(Preflight {
        signed,
        cb_cabinet: fixed.cb_cabinet,
        coff_files: fixed.coff_files,
        folders: fixed.folders,
        files: fixed.files,
        flags: fixed.flags,
    })
}

/// The bytes handed to `preflight` start with the `MSCF` magic and are
/// enough to decide: [`HEAD_LEN`], or the whole of a shorter file.
fn check_head(head: &[u8], file_len: u64) -> Result<(), Error> {
    let avail = head.len();
    if avail < 4 || head.get(0..4) != Some(b"MSCF".as_slice()) {
        return Err(Error::NotCabinet {
            reason: "missing MSCF signature at offset 0".into(),
        });
    }
    if (avail as u64) < file_len.min(HEAD_LEN as u64) {
        return Err(Error::NotCabinet {
            reason: format!(
                "preflight was given {avail} header bytes; it needs {} (or the whole file)",
                file_len.min(HEAD_LEN as u64)
            ),
        });
    }
    Ok(())
}

/// The fields of the fixed, 36-byte part of CFHEADER that the preflight
/// reports or checks.
struct FixedHeader {
    cb_cabinet: u32,
    coff_files: u32,
    folders: u16,
    files: u16,
    flags: u16,
    /// `reserved1` (u32 at byte 4): MS-CAB says 0.
    reserved1: u32,
    /// `iCabinet` (u16 at byte 34): the cabinet's index in its set.
    i_cabinet: u16,
}

impl FixedHeader {
    /// Reads the fixed CFHEADER and refuses any version but 1.3, the only
    /// one Microsoft writes.
    fn parse(head: &[u8]) -> Result<Self, Error> {
        let avail = head.len();
        let (Some(cb_cabinet), Some(coff_files), Some(folders), Some(files), Some(flags)) = (
            u32_at(head, 8),
            u32_at(head, 16),
            u16_at(head, 26),
            u16_at(head, 28),
            u16_at(head, 30),
        ) else {
            return Err(short("the fixed CFHEADER", 36, avail));
        };
        let (Some(&minor), Some(&major), Some(reserved1), Some(i_cabinet)) = (
            head.get(24),
            head.get(25),
            u32_at(head, 4),
            u16_at(head, 34),
        ) else {
            return Err(short("the fixed CFHEADER", 36, avail));
        };
        if avail < 36 {
            return Err(short("the fixed CFHEADER", 36, avail));
        }
        if (major, minor) != (1, 3) {
            return Err(Error::UnsupportedVersion { major, minor });
        }
        Ok(Self {
            cb_cabinet,
            coff_files,
            folders,
            files,
            flags,
            reserved1,
            i_cabinet,
        })
    }
}

/// Where the signature lives, when the header reserve (flags & 4) is the
/// 20-byte Authenticode one starting `00 00 10 00`; `None` for an unsigned
/// cabinet, including one with some other reserve.
fn authenticode_reserve(
    head: &[u8],
    fixed: &FixedHeader,
    file_len: u64,
) -> Result<Option<SignatureLayout>, Error> {
    if fixed.flags & FLAG_RESERVE_PRESENT == 0 {
        return Ok(None);
    }
    let avail = head.len();
    let Some(cb_cf_header) = u16_at(head, 36) else {
        return Err(short("the reserve fields (flags & 4)", 40, avail));
    };
    if cb_cf_header != 20 || head.get(40..44) != Some([0u8, 0, 0x10, 0].as_slice()) {
        return Ok(None);
    }
    let (Some(sig_offset), Some(sig_len)) = (u32_at(head, 44), u32_at(head, 48)) else {
        return Err(short("the Authenticode reserve", HEAD_LEN, avail));
    };
    Ok(Some(SignatureLayout {
        cb_cabinet: fixed.cb_cabinet,
        sig_offset,
        sig_len,
        file_len,
    }))
}

/// A signed cabinet: the signature starts where the cabinet proper ends and
/// ends where the file does, has a plausible length, and the files lie
/// between the header and the signature.
fn check_signed_layout(
    l: &SignatureLayout,
    fixed: &FixedHeader,
    file_len: u64,
) -> Result<(), Error> {
    let cb_cabinet = fixed.cb_cabinet;
    let coff_files = fixed.coff_files;
    let expected = u64::from(l.sig_offset) + u64::from(l.sig_len);
    if l.sig_offset != cb_cabinet {
        return Err(Error::HeaderInconsistent {
            reason: format!(
                "signature offset (u32 at byte 44) is {} but cbCabinet (u32 at byte 8) is {cb_cabinet}; they must be equal",
                l.sig_offset
            ),
        });
    }
    if expected != file_len {
        return Err(Error::SizeMismatch {
            expected,
            actual: file_len,
        });
    }
    if l.sig_len == 0 {
        return Err(Error::HeaderInconsistent {
            reason: "signature length (u32 at byte 48) is 0".into(),
        });
    }
    if l.sig_len > MAX_SIGNATURE_LEN {
        return Err(Error::HeaderInconsistent {
            reason: format!(
                "signature length (u32 at byte 48) is {} bytes, more than the {MAX_SIGNATURE_LEN} accepted",
                l.sig_len
            ),
        });
    }
    if coff_files < HEAD_LEN as u32 || coff_files > l.sig_offset {
        return Err(Error::HeaderInconsistent {
            reason: format!(
                "coffFiles (u32 at byte 16) is {coff_files}; it must lie between {HEAD_LEN} and the signature offset {}",
                l.sig_offset
            ),
        });
    }
    Ok(())
}

/// The CFHEADER fields of a signed cabinet that the Authenticode digest
/// leaves out and that have one right value: `reserved1` must be 0 (MS-CAB;
/// osslsigncode refuses anything else too), and `iCabinet` must be 0 in a
/// cabinet that is not part of a set (neither `FLAG_PREV_CABINET` nor
/// `FLAG_NEXT_CABINET`), since the first cabinet of a set is number 0 and a
/// lone cabinet is the first. Why these are refused although the signature
/// does not cover them, and why bytes 52..56 are not: `docs/signature.md`.
fn check_signed_unhashed_fields(fixed: &FixedHeader) -> Result<(), Error> {
    if fixed.reserved1 != 0 {
        return Err(Error::HeaderInconsistent {
            reason: format!(
                "reserved1 (u32 at byte 4) is {:#010x}; MS-CAB requires 0, and the signature does not cover it",
                fixed.reserved1
            ),
        });
    }
    let in_a_set = fixed.flags & (FLAG_PREV_CABINET | FLAG_NEXT_CABINET) != 0;
    if fixed.i_cabinet != 0 && !in_a_set {
        return Err(Error::HeaderInconsistent {
            reason: format!(
                "iCabinet (u16 at byte 34) is {} in a signed cabinet that is not part of a set (flags {:#06x} name no previous or next cabinet); a lone cabinet is number 0, and the signature does not cover this field",
                fixed.i_cabinet, fixed.flags
            ),
        });
    }
    Ok(())
}

/// An unsigned cabinet: `cbCabinet` is the file's length and the files
/// start inside it.
fn check_unsigned_layout(fixed: &FixedHeader, file_len: u64) -> Result<(), Error> {
    let coff_files = fixed.coff_files;
    if u64::from(fixed.cb_cabinet) != file_len {
        return Err(Error::SizeMismatch {
            expected: u64::from(fixed.cb_cabinet),
            actual: file_len,
        });
    }
    if u64::from(coff_files) > file_len {
        return Err(Error::HeaderInconsistent {
            reason: format!(
                "coffFiles (u32 at byte 16) is {coff_files}, past the end of the {file_len}-byte file"
            ),
        });
    }
    Ok(())
}

/// Read the header bytes `preflight` needs, then run it.
pub fn preflight_reader<R: Read + Seek>(r: &mut R, file_len: u64) -> Result<Preflight, Error> {
    let want = file_len.min(HEAD_LEN as u64) as usize;
    let mut head = vec![0u8; want];
    r.seek(SeekFrom::Start(0))?;
    r.read_exact(&mut head)?;
    preflight(&head, file_len)
}

/// Read the PKCS#7 signature area described by `layout`.
pub fn read_signature_blob<R: Read + Seek>(
    r: &mut R,
    layout: &SignatureLayout,
) -> Result<Vec<u8>, Error> {
    if layout.sig_len > MAX_SIGNATURE_LEN {
        return Err(Error::HeaderInconsistent {
            reason: format!("signature length {} is too large", layout.sig_len),
        });
    }
    let mut blob = vec![0u8; layout.sig_len as usize];
    r.seek(SeekFrom::Start(u64::from(layout.sig_offset)))?;
    r.read_exact(&mut blob).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::SizeMismatch {
                expected: u64::from(layout.sig_offset) + u64::from(layout.sig_len),
                actual: layout.file_len,
            }
        } else {
            Error::Io(e)
        }
    })?;
    Ok(blob)
}
