//! CFDATA: one compressed block and its checksum.
//!
//! The size limits live here because they are the block's: every reader of
//! a folder (and the writer) bounds its buffers by them, whatever a header
//! claims.

/// The largest uncompressed size of one data block (MS-CAB: 32 KiB).
pub const MAX_BLOCK_UNCOMPRESSED: usize = 32 * 1024;
/// The largest compressed size of one data block (32 KiB plus the 6 KiB the
/// spec allows for incompressible data).
pub const MAX_BLOCK_COMPRESSED: usize = 32 * 1024 + 6 * 1024;

/// Size of the fixed part of a CFDATA header (csum, cbData, cbUncomp).
pub const HEADER_LEN: usize = 8;

/// The fixed part of a CFDATA header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Stored checksum; 0 means "not computed".
    pub checksum: u32,
    /// Compressed bytes that follow the header (and its reserve).
    pub compressed_len: u16,
    /// Bytes the block decodes to.
    pub uncompressed_len: u16,
}

impl BlockHeader {
    /// The three fields of the 8 bytes every CFDATA starts with.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> BlockHeader {
        BlockHeader {
            checksum: u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            compressed_len: u16::from_le_bytes([bytes[4], bytes[5]]),
            uncompressed_len: u16::from_le_bytes([bytes[6], bytes[7]]),
        }
    }

    /// The checksum of a block as the format defines it: the data first, then
    /// the 4 bytes of cbData and cbUncomp. The per-block reserve is not
    /// hashed; that is what cabextract, gcab and 7-Zip do and what makecab's
    /// output verifies against (the `cab` crate hashes it and so rejects valid
    /// files whose reserve is not a multiple of 4 bytes).
    pub fn compute_checksum(compressed_len: u16, uncompressed_len: u16, data: &[u8]) -> u32 {
        let sum = checksum(data, 0);
        let mut sizes = [0u8; 4];
        sizes[..2].copy_from_slice(&compressed_len.to_le_bytes());
        sizes[2..].copy_from_slice(&uncompressed_len.to_le_bytes());
        checksum(&sizes, sum)
    }
}

/// MS-CAB's checksum: XOR of little-endian 32-bit words, with a tail of
/// 1 to 3 bytes folded in big-endian order (as the reference implementation
/// does, not as the spec's prose suggests).
pub fn checksum(data: &[u8], seed: u32) -> u32 {
    // chunks_exact yields slices of exactly 8 (then 4) bytes, so the array
    // conversions always succeed and compile to plain loads.
    let mut words = data.chunks_exact(8);
    let mut acc: u64 = 0;
    for w in &mut words {
        if let Ok(w) = <[u8; 8]>::try_from(w) {
            acc ^= u64::from_le_bytes(w);
        }
    }
    let mut sum = seed ^ (acc as u32) ^ ((acc >> 32) as u32);
    let rest = words.remainder();
    let mut quads = rest.chunks_exact(4);
    for q in &mut quads {
        if let Ok(q) = <[u8; 4]>::try_from(q) {
            sum ^= u32::from_le_bytes(q);
        }
    }
    let tail = quads.remainder();
    let mut ul: u32 = 0;
    for &b in tail {
        ul = (ul << 8) | u32::from(b);
    }
    sum ^ ul
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(data: &[u8], mut sum: u32) -> u32 {
        let mut i = 0;
        while i + 4 <= data.len() {
            sum ^= u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
            i += 4;
        }
        let mut ul = 0u32;
        match data.len() - i {
            3 => {
                ul = (u32::from(data[i]) << 16)
                    | (u32::from(data[i + 1]) << 8)
                    | u32::from(data[i + 2])
            }
            2 => ul = (u32::from(data[i]) << 8) | u32::from(data[i + 1]),
            1 => ul = u32::from(data[i]),
            _ => {}
        }
        sum ^ ul
    }

    #[test]
    fn wide_checksum_equals_word_by_word_reference() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..40 {
            for start in 0..5 {
                let slice = &data[start..start + len];
                assert_eq!(
                    checksum(slice, 0x1234_5678),
                    reference(slice, 0x1234_5678),
                    "len {len}"
                );
            }
        }
    }
}
