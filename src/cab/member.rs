//! A single member's bytes, streamed out of its folder.

use std::io::{self, Read, Seek};

use super::file::FileEntry;
use super::stream::FolderReader;
use crate::error::{Error, ErrorKind, Result};

/// Streams one member: skips (decodes and discards) everything before it in
/// its folder, then yields exactly `size` bytes. A folder that ends early is an
/// error, never a short member.
pub struct MemberReader<R> {
    folder: FolderReader<R>,
    file: FileEntry,
    /// Member bytes yielded so far.
    position: u64,
}

impl<R: Read + Seek> MemberReader<R> {
    pub(crate) fn new(folder: FolderReader<R>, file: FileEntry) -> Result<MemberReader<R>> {
        let mut m = MemberReader {
            folder,
            file,
            position: 0,
        };
        m.skip_to_start()?;
        Ok(m)
    }

    fn skip_to_start(&mut self) -> Result<()> {
        let start = u64::from(self.file.folder_offset);
        while self.folder.position() < start {
            let gap = start - self.folder.position();
            let at = self.folder.position();
            if self
                .folder
                .take(gap.min(usize::MAX as u64) as usize)?
                .is_empty()
            {
                return Err(self.ended_early(at));
            }
        }
        Ok(())
    }

    fn ended_early(&self, at: u64) -> Error {
        ended_early(&self.file, at)
    }

    /// The CFFILE entry of the member being read.
    pub fn file(&self) -> &FileEntry {
        &self.file
    }

    /// Member bytes yielded so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Compressed bytes of the folder read so far.
    pub fn compressed_consumed(&self) -> u64 {
        self.folder.consumed()
    }

    /// How many blocks of the folder read so far carry a checksum of 0
    /// (not computed), see [`FolderReader::blocks_not_checksummed`].
    pub fn blocks_not_checksummed(&self) -> u64 {
        self.folder.blocks_not_checksummed()
    }

    /// The next piece of the member (at most `max` bytes, at most one
    /// block), or an empty slice at its end.
    pub fn next_chunk(&mut self, max: usize) -> Result<&[u8]> {
        let remaining = u64::from(self.file.size) - self.position;
        if remaining == 0 || max == 0 {
            return Ok(&[]);
        }
        let at = self.folder.position();
        let want = remaining.min(max as u64) as usize;
        let file = &self.file;
        let chunk = self.folder.take(want)?;
        if chunk.is_empty() {
            return Err(ended_early(file, at));
        }
        let n = chunk.len() as u64;
        self.position += n;
        Ok(chunk)
    }

    /// The folder reader underneath, wherever this member left it: for a
    /// caller that goes on to later members of the same folder without
    /// decoding it again from its start.
    pub fn into_folder(self) -> FolderReader<R> {
        self.folder
    }

    /// Decodes the rest of the member's folder (the blocks after the member
    /// included), so that every checksum in it is verified.
    pub fn finish_folder(&mut self) -> Result<()> {
        while !self.folder.take(usize::MAX)?.is_empty() {}
        Ok(())
    }

    /// Reads the whole member into memory, refusing members over `limit` bytes.
    pub fn read_all(mut self, limit: u64) -> Result<Vec<u8>> {
        if u64::from(self.file.size) > limit {
            return Err(Error::new(
                ErrorKind::Limit,
                format!(
                    "member {:?} claims {} bytes, more than the {limit}-byte limit for reading it into memory",
                    self.file.name, self.file.size
                ),
            ));
        }
        let mut out = Vec::with_capacity(self.file.size as usize);
        loop {
            let chunk = self.next_chunk(usize::MAX)?;
            if chunk.is_empty() {
                return Ok(out);
            }
            out.extend_from_slice(chunk);
        }
    }
}

impl<R: Read + Seek> Read for MemberReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let chunk = self.next_chunk(buf.len()).map_err(io::Error::other)?;
        // next_chunk returns at most buf.len() bytes, so zip copies them all.
        for (to, from) in buf.iter_mut().zip(chunk) {
            *to = *from;
        }
        Ok(chunk.len())
    }
}

fn ended_early(file: &FileEntry, at: u64) -> Error {
    Error::new(
        ErrorKind::Truncated,
        format!(
            "truncated: folder {} ends at byte {at}, but member {:?} needs bytes {}..{}",
            file.folder,
            file.name,
            file.folder_offset,
            file.folder_end()
        ),
    )
}
