//! Reading the cabinet's tables (CFHEADER, CFFOLDER, CFFILE) from a stream
//! that may be short or hostile.
//!
//! Why one place: every table reports a file that ends too early the same
//! way (which structure it ends inside, at which byte), and a name that
//! never ends is cut off at the same bound everywhere.

use std::io::Read;

use crate::error::{Error, ErrorKind, Result};

pub(super) fn malformed(msg: impl Into<String>, offset: u64) -> Error {
    Error::new(ErrorKind::Malformed, msg).at_offset(offset)
}

pub(super) fn truncated(what: &str, offset: u64, file_len: u64) -> Error {
    Error::new(
        ErrorKind::Truncated,
        format!("file ends at byte {file_len} inside the {what}"),
    )
    .at_offset(offset)
}

/// Fills `buf`; a file that ends first is [`ErrorKind::Truncated`] inside
/// `what`, which starts at `offset`.
pub(super) fn read_exact_at<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    what: &str,
    offset: u64,
    file_len: u64,
) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            truncated(what, offset, file_len)
        } else {
            Error::io(e, what).at_offset(offset)
        }
    })
}

/// Reads a NUL-terminated string of at most 255 bytes (plus NUL), moving
/// `offset` past it.
pub(super) fn read_cstring<R: Read>(
    r: &mut R,
    what: &str,
    offset: &mut u64,
    file_len: u64,
) -> Result<Vec<u8>> {
    let start = *offset;
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        read_exact_at(r, &mut byte, what, start, file_len)?;
        *offset += 1;
        if byte[0] == 0 {
            return Ok(out);
        }
        if out.len() == 255 {
            return Err(malformed(format!("{what} is longer than 255 bytes"), start));
        }
        out.push(byte[0]);
    }
}

/// Like `read_exact`, but reports how much was read instead of failing at EOF.
pub(super) fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut total = 0;
    while let Some(rest) = buf.get_mut(total..).filter(|rest| !rest.is_empty()) {
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}
