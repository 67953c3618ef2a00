//! LZX folders pulled out of a cabinet as raw CFDATA chunks, for feeding
//! `wsuscat::cab::lzx::LzxDecoder` directly (tests and `examples/lzx_speed.rs`,
//! which includes this file by path).

use std::io::Cursor;

use wsuscat::cab::data::{BlockHeader, HEADER_LEN};
use wsuscat::cab::{Cabinet, Compression};

/// One LZX folder: its window and its blocks as (compressed bytes,
/// uncompressed length).
pub struct LzxFolder {
    pub window_bits: u8,
    pub blocks: Vec<(Vec<u8>, usize)>,
}

impl LzxFolder {
    pub fn output_len(&self) -> usize {
        self.blocks.iter().map(|b| b.1).sum()
    }
}

/// Every LZX folder of a cabinet whose headers parse. Folders whose blocks
/// run past the end of the file are cut short there.
pub fn lzx_folders(bytes: &[u8]) -> Vec<LzxFolder> {
    let Ok(cab) = Cabinet::parse(&mut Cursor::new(bytes)) else {
        return Vec::new();
    };
    let reserve = usize::from(cab.header.data_reserve);
    let mut out = Vec::new();
    for folder in &cab.folders {
        let Compression::Lzx { window_bits } = folder.compression else {
            continue;
        };
        let mut blocks = Vec::new();
        let mut at = folder.data_offset as usize;
        for _ in 0..folder.block_count {
            let Some(head) = bytes.get(at..at + HEADER_LEN) else {
                break;
            };
            let h = BlockHeader::parse(head.try_into().unwrap());
            let start = at + HEADER_LEN + reserve;
            let end = start + usize::from(h.compressed_len);
            let Some(data) = bytes.get(start..end) else {
                break;
            };
            blocks.push((data.to_vec(), usize::from(h.uncompressed_len)));
            at = end;
        }
        out.push(LzxFolder {
            window_bits,
            blocks,
        });
    }
    out
}
