//! A cabinet writer, for the catalog generator and for tests that build
//! cabinets in code.
//!
//! The `cab` crate's builder writes stored and MSZIP folders only, and
//! Microsoft's catalog is LZX, so wsuscat writes its own: MSZIP through
//! flate2 (each block primed with the previous block as its dictionary, as
//! makecab does), LZX through wsuscat's own encoder (`super::lzx::encode`:
//! one LZX frame per data block, its blocks and trees spanning frames).
//! Members are compressed as they are added; only compressed blocks are
//! kept.

use flate2::{Compress, Compression as Level, FlushCompress};

use super::data::BlockHeader;
use super::data::{MAX_BLOCK_COMPRESSED, MAX_BLOCK_UNCOMPRESSED};
use super::folder::Compression;
use super::lzx::encode::LzxEncoder;

enum Encoder {
    Stored,
    MsZip(Box<Compress>),
    Lzx(Box<LzxEncoder>),
}

struct Block {
    compressed: Vec<u8>,
    uncompressed_len: u16,
}

struct FolderBuild {
    compression: Compression,
    encoder: Encoder,
    pending: Vec<u8>,
    previous: Vec<u8>,
    blocks: Vec<Block>,
    size: u64,
}

struct FileBuild {
    name: String,
    size: u32,
    folder: u16,
    folder_offset: u32,
}

/// Builds a cabinet in memory.
pub struct CabBuilder {
    folders: Vec<FolderBuild>,
    files: Vec<FileBuild>,
    data_reserve: u8,
    checksums: bool,
    skip_misses: bool,
}

impl Default for CabBuilder {
    fn default() -> Self {
        CabBuilder::new()
    }
}

impl FolderBuild {
    #[expect(
        clippy::panic,
        reason = "the compression comes from code (the generator, whose options allow only \
                  stored, MSZIP and LZX:15..21, and tests), not from input: asking for a \
                  Quantum or unknown folder is the caller's bug, and add_folder has no error \
                  to return"
    )]
    fn new(compression: Compression) -> FolderBuild {
        let encoder = match compression {
            Compression::None => Encoder::Stored,
            Compression::MsZip => Encoder::MsZip(Box::new(Compress::new(Level::new(6), false))),
            Compression::Lzx { window_bits } => {
                assert!(
                    (15..=21).contains(&window_bits),
                    "LZX windows are 15 to 21 bits"
                );
                Encoder::Lzx(Box::new(LzxEncoder::new(window_bits)))
            }
            other => panic!("the writer cannot produce {} folders", other.describe()),
        };
        FolderBuild {
            compression,
            encoder,
            pending: Vec::with_capacity(MAX_BLOCK_UNCOMPRESSED),
            previous: Vec::new(),
            blocks: Vec::new(),
            size: 0,
        }
    }

    fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = MAX_BLOCK_UNCOMPRESSED - self.pending.len();
            let (now, later) = data.split_at_checked(room).unwrap_or((data, &[]));
            self.pending.extend_from_slice(now);
            data = later;
            if self.pending.len() == MAX_BLOCK_UNCOMPRESSED {
                self.flush_block();
            }
        }
    }

    fn flush_block(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let input = std::mem::take(&mut self.pending);
        let compressed = match &mut self.encoder {
            Encoder::Stored => input.clone(),
            Encoder::MsZip(c) => mszip_block(c, &self.previous, &input),
            Encoder::Lzx(e) => {
                // The encoder hands frames back when their LZX block is
                // complete, which may be a few frames later.
                let frames = e.push_frame(&input);
                self.push_lzx_frames(frames);
                self.pending = input;
                self.pending.clear();
                return;
            }
        };
        assert!(compressed.len() <= MAX_BLOCK_COMPRESSED, "block too large");
        // Kept until `finish`: without the room deflate was given, a
        // folder of 65,535 well-compressed blocks is a few MB, not 2.5 GB.
        let mut compressed = compressed;
        compressed.shrink_to_fit();
        self.blocks.push(Block {
            compressed,
            uncompressed_len: input.len() as u16,
        });
        self.previous = input;
        self.pending = Vec::with_capacity(MAX_BLOCK_UNCOMPRESSED);
    }

    fn push_lzx_frames(&mut self, frames: Vec<(Vec<u8>, usize)>) {
        for (compressed, len) in frames {
            assert!(compressed.len() <= MAX_BLOCK_COMPRESSED, "block too large");
            self.blocks.push(Block {
                compressed,
                uncompressed_len: len as u16,
            });
        }
    }

    /// Ends the folder: the last partial block, and the frames the LZX
    /// encoder still holds.
    fn close(&mut self) {
        self.flush_block();
        if let Encoder::Lzx(e) = &mut self.encoder {
            let frames = e.finish();
            self.push_lzx_frames(frames);
        }
    }
}

/// One MSZIP block: "CK" and a deflate stream primed with the previous
/// block as its dictionary, as makecab writes them.
#[expect(
    clippy::expect_used,
    reason = "zlib-rs takes a dictionary right after a reset, and deflating 32 KiB into \
              38 KiB cannot run out of room: neither call can fail on the writer's own data"
)]
fn mszip_block(c: &mut Compress, previous: &[u8], input: &[u8]) -> Vec<u8> {
    c.reset();
    if !previous.is_empty() {
        c.set_dictionary(previous)
            .expect("zlib-rs supports dictionaries");
    }
    let mut out = Vec::with_capacity(MAX_BLOCK_COMPRESSED);
    out.extend_from_slice(b"CK");
    c.compress_vec(input, &mut out, FlushCompress::Finish)
        .expect("deflate into a large enough buffer");
    out
}

impl CabBuilder {
    /// An empty cabinet: no folders, no reserve, checksums on.
    pub fn new() -> CabBuilder {
        CabBuilder {
            folders: Vec::new(),
            files: Vec::new(),
            data_reserve: 0,
            checksums: true,
            skip_misses: false,
        }
    }

    /// LZX folders added after this search less where nothing matches
    /// (see `LzxEncoder::skip_misses`): for an outer cabinet whose members
    /// are compressed cabinets.
    pub fn skip_misses(&mut self, on: bool) -> &mut CabBuilder {
        self.skip_misses = on;
        self
    }

    /// Reserve `n` zero bytes after every data block header (cbCFData).
    pub fn data_reserve(mut self, n: u8) -> CabBuilder {
        self.data_reserve = n;
        self
    }

    /// Whether to write block checksums (default true; 0 means "none").
    pub fn checksums(mut self, on: bool) -> CabBuilder {
        self.checksums = on;
        self
    }

    /// Starts a new folder; later files go into it.
    pub fn add_folder(&mut self, compression: Compression) -> &mut CabBuilder {
        if let Some(f) = self.folders.last_mut() {
            f.close();
        }
        let mut folder = FolderBuild::new(compression);
        if let Encoder::Lzx(e) = &mut folder.encoder {
            e.skip_misses(self.skip_misses);
        }
        self.folders.push(folder);
        self
    }

    /// Adds a member to the current folder (starting an MSZIP folder if none).
    pub fn add_file(&mut self, name: &str, data: &[u8]) -> &mut CabBuilder {
        let folder_index = self.folders.len().saturating_sub(1);
        let Some(folder) = self.folders.last_mut() else {
            self.add_folder(Compression::MsZip);
            return self.add_file(name, data);
        };
        let offset = folder.size;
        assert!(
            offset + data.len() as u64 <= u64::from(u32::MAX),
            "folder too large"
        );
        folder.push(data);
        folder.size += data.len() as u64;
        self.files.push(FileBuild {
            name: name.to_string(),
            size: data.len() as u32,
            folder: folder_index as u16,
            folder_offset: offset as u32,
        });
        self
    }

    /// Adds a member of `size` bytes whose bytes `fill` writes into each
    /// buffer it is handed, in order, at most 1 MiB at a time: a member of
    /// gigabytes is compressed as it is produced, never held.
    pub fn add_file_with(
        &mut self,
        name: &str,
        size: u32,
        mut fill: impl FnMut(&mut [u8]),
    ) -> &mut CabBuilder {
        let folder_index = self.folders.len().saturating_sub(1);
        let Some(folder) = self.folders.last_mut() else {
            self.add_folder(Compression::MsZip);
            return self.add_file_with(name, size, fill);
        };
        let offset = folder.size;
        assert!(
            offset + u64::from(size) <= u64::from(u32::MAX),
            "folder too large"
        );
        let mut buf = vec![0u8; (size as usize).min(1 << 20)];
        let mut left = size as usize;
        while left > 0 {
            let piece = buf.get_mut(..left.min(1 << 20)).unwrap_or_default();
            fill(piece);
            folder.push(piece);
            left -= piece.len();
        }
        folder.size += u64::from(size);
        self.files.push(FileBuild {
            name: name.to_string(),
            size,
            folder: folder_index as u16,
            folder_offset: offset as u32,
        });
        self
    }

    /// Adds a member of `len` bytes read from `data` in small pieces, to the
    /// current folder (starting an MSZIP folder if none): a member larger
    /// than memory (a hostile test's 2 GiB of zeros) is compressed as it is
    /// read, never held whole. `data` must give `len` bytes.
    pub fn add_file_from_reader(
        &mut self,
        name: &str,
        len: u32,
        data: &mut dyn std::io::Read,
    ) -> std::io::Result<&mut CabBuilder> {
        let folder_index = self.folders.len().saturating_sub(1);
        let Some(folder) = self.folders.last_mut() else {
            self.add_folder(Compression::MsZip);
            return self.add_file_from_reader(name, len, data);
        };
        let offset = folder.size;
        assert!(
            offset + u64::from(len) <= u64::from(u32::MAX),
            "folder too large"
        );
        let mut chunk = [0u8; 32 << 10];
        let mut limited = std::io::Read::take(data, u64::from(len));
        let mut read = 0u64;
        loop {
            let n = std::io::Read::read(&mut limited, &mut chunk)?;
            if n == 0 {
                break;
            }
            folder.push(chunk.get(..n).unwrap_or_default());
            read += n as u64;
        }
        if read != u64::from(len) {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        }
        folder.size += u64::from(len);
        self.files.push(FileBuild {
            name: name.to_string(),
            size: len,
            folder: folder_index as u16,
            folder_offset: offset as u32,
        });
        Ok(self)
    }

    /// Lays the cabinet out and returns its bytes.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = self.finish_to(&mut out);
        out
    }

    /// Lays the cabinet out into `out`, block by block: a cabinet of
    /// hundreds of MB (the generator's real-volume catalog) is written
    /// without a second copy of it in memory. Returns the bytes written.
    pub fn finish_to(mut self, out: &mut dyn std::io::Write) -> std::io::Result<u64> {
        if let Some(f) = self.folders.last_mut() {
            f.close();
        }
        let reserve_present = self.data_reserve > 0;
        let header_len = 36 + if reserve_present { 4 } else { 0 };
        let folders_len = 8 * self.folders.len();
        let files_len: usize = self.files.iter().map(|f| 16 + f.name.len() + 1).sum();
        let files_offset = header_len + folders_len;
        let mut data_offset = files_offset + files_len;
        let block_header_len = 8 + usize::from(self.data_reserve);
        let mut folder_offsets = Vec::new();
        for f in &self.folders {
            folder_offsets.push(data_offset);
            data_offset += f
                .blocks
                .iter()
                .map(|b| block_header_len + b.compressed.len())
                .sum::<usize>();
        }
        let total = data_offset;
        assert!(total <= u32::MAX as usize, "cabinet too large");
        let mut head = Vec::with_capacity(files_offset + files_len);
        head.extend_from_slice(b"MSCF");
        head.extend_from_slice(&0u32.to_le_bytes());
        head.extend_from_slice(&(total as u32).to_le_bytes());
        head.extend_from_slice(&0u32.to_le_bytes());
        head.extend_from_slice(&(files_offset as u32).to_le_bytes());
        head.extend_from_slice(&0u32.to_le_bytes());
        head.extend_from_slice(&[3, 1]);
        head.extend_from_slice(&(self.folders.len() as u16).to_le_bytes());
        head.extend_from_slice(&(self.files.len() as u16).to_le_bytes());
        let flags: u16 = if reserve_present { 0x0004 } else { 0 };
        head.extend_from_slice(&flags.to_le_bytes());
        head.extend_from_slice(&0x5753u16.to_le_bytes()); // setID
        head.extend_from_slice(&0u16.to_le_bytes()); // iCabinet
        if reserve_present {
            head.extend_from_slice(&0u16.to_le_bytes());
            head.push(0);
            head.push(self.data_reserve);
        }
        for (f, &offset) in self.folders.iter().zip(&folder_offsets) {
            head.extend_from_slice(&(offset as u32).to_le_bytes());
            head.extend_from_slice(&(f.blocks.len() as u16).to_le_bytes());
            head.extend_from_slice(&f.compression.to_type().to_le_bytes());
        }
        for file in &self.files {
            head.extend_from_slice(&file.size.to_le_bytes());
            head.extend_from_slice(&file.folder_offset.to_le_bytes());
            head.extend_from_slice(&file.folder.to_le_bytes());
            // 2026-05-12 08:51:08 in MS-DOS form.
            head.extend_from_slice(&((46u16 << 9) | (5 << 5) | 12).to_le_bytes());
            head.extend_from_slice(&((8u16 << 11) | (51 << 5) | 4).to_le_bytes());
            let attrs: u16 = if file.name.is_ascii() { 0x20 } else { 0xA0 };
            head.extend_from_slice(&attrs.to_le_bytes());
            head.extend_from_slice(file.name.as_bytes());
            head.push(0);
        }
        out.write_all(&head)?;
        let mut written = head.len();
        let reserve = vec![0u8; usize::from(self.data_reserve)];
        for f in &mut self.folders {
            for b in std::mem::take(&mut f.blocks) {
                let clen = b.compressed.len() as u16;
                let sum = if self.checksums {
                    BlockHeader::compute_checksum(clen, b.uncompressed_len, &b.compressed)
                } else {
                    0
                };
                let mut header = [0u8; 8];
                header[..4].copy_from_slice(&sum.to_le_bytes());
                header[4..6].copy_from_slice(&clen.to_le_bytes());
                header[6..].copy_from_slice(&b.uncompressed_len.to_le_bytes());
                out.write_all(&header)?;
                out.write_all(&reserve)?;
                out.write_all(&b.compressed)?;
                written += header.len() + reserve.len() + b.compressed.len();
            }
        }
        debug_assert_eq!(written, total);
        Ok(written as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cab::Cabinet;
    use std::io::Cursor;

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| b"<Update RevisionId=\"12345\" DeploymentAction=\"Bundle\"/>"[i % 52])
            .collect()
    }

    fn roundtrip(compression: Compression, reserve: u8) {
        let a = text(100_000);
        let b = b"second member".to_vec();
        let c = text(5);
        let mut builder = CabBuilder::new().data_reserve(reserve);
        builder
            .add_folder(compression)
            .add_file("a.xml", &a)
            .add_file("dir\\b", &b);
        builder.add_folder(Compression::None).add_file("c", &c);
        let bytes = builder.finish();
        let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
        assert_eq!(cab.files.len(), 3);
        for (name, want) in [("a.xml", &a), ("DIR/B", &b), ("c", &c)] {
            let file = cab.find(name).unwrap().clone();
            let got = cab
                .open_member(Cursor::new(&bytes), &file)
                .unwrap()
                .read_all(1 << 30)
                .unwrap();
            assert_eq!(&got, want, "{name} via {compression:?}");
        }
    }

    #[test]
    fn stored_mszip_and_every_lzx_window_round_trip() {
        roundtrip(Compression::None, 0);
        roundtrip(Compression::MsZip, 0);
        roundtrip(Compression::MsZip, 10);
        for window_bits in 15..=21 {
            roundtrip(Compression::Lzx { window_bits }, 0);
        }
    }

    #[test]
    fn flipped_byte_in_a_block_is_a_checksum_error_naming_the_block() {
        let mut builder = CabBuilder::new();
        builder
            .add_folder(Compression::MsZip)
            .add_file("a", &text(200_000));
        let mut bytes = builder.finish();
        let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
        // Find block 2's data and flip a byte in it.
        let mut off = cab.folders[0].data_offset as usize;
        for _ in 0..2 {
            let clen = u16::from_le_bytes([bytes[off + 4], bytes[off + 5]]) as usize;
            off += 8 + clen;
        }
        bytes[off + 20] ^= 0x40;
        let file = cab.files[0].clone();
        let err = cab
            .open_member(Cursor::new(&bytes), &file)
            .unwrap()
            .read_all(1 << 30)
            .unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::Checksum);
        assert_eq!(err.place().block, Some(2));
        assert_eq!(err.place().folder, Some(0));
    }
}
