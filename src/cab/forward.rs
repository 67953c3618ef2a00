//! A forward-only `Read + Seek` view of a stream of known length.
//!
//! package.cab is a cabinet inside a compressed folder: it can be read front
//! to back, but every backward step would mean decompressing the outer
//! folder again. Its header, file table and data come in that order, so a
//! reader that only ever skips forward can parse it and stream package.xml
//! out of it without holding package.cab (15 MB in 2026, and growing) in
//! memory.

use std::io::{self, Read, Seek, SeekFrom};

/// `inner`, of `len` bytes, as a `Read + Seek` that refuses to seek
/// backwards (with `io::ErrorKind::Unsupported`, which the cabinet reader
/// reports as a layout it cannot read forward-only).
pub struct Forward<R> {
    inner: R,
    pos: u64,
    len: u64,
}

impl<R: Read> Forward<R> {
    /// A view of `inner`, positioned at 0, whose end is at `len`.
    pub fn new(inner: R, len: u64) -> Forward<R> {
        Forward { inner, pos: 0, len }
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The stream underneath, wherever this view left it.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for Forward<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read> Seek for Forward<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        if target < self.pos {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "the nested cabinet's layout needs a backward seek (to byte {target} from {}), which a forward-only stream cannot do",
                    self.pos
                ),
            ));
        }
        let skip = target - self.pos;
        let skipped = io::copy(&mut (&mut self.inner).take(skip), &mut io::sink())?;
        self.pos += skipped;
        Ok(self.pos)
    }
}
