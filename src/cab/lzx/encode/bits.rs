//! The LZX bit writer: bits packed most significant first into 16-bit
//! little-endian words, the mirror of `super::super::bits::BitReader`.

pub(super) struct BitWriter {
    out: Vec<u8>,
    /// Pending bits in the low `n` bits; anything above them is stale and
    /// never read.
    acc: u64,
    n: u32,
}

impl BitWriter {
    pub(super) fn new() -> BitWriter {
        BitWriter {
            out: Vec::with_capacity(8 * 1024),
            acc: 0,
            n: 0,
        }
    }

    /// Appends the low `bits` bits of `value` (at most 32), most
    /// significant first.
    #[inline(always)]
    pub(super) fn put(&mut self, value: u32, bits: u32) {
        debug_assert!(bits <= 32 && (bits == 32 || value >> bits == 0));
        // At most 15 pending bits plus 32 new ones: fits in 64.
        self.acc = (self.acc << bits) | u64::from(value);
        self.n += bits;
        while self.n >= 16 {
            self.n -= 16;
            let word = (self.acc >> self.n) as u16;
            self.out.extend_from_slice(&word.to_le_bytes());
        }
    }

    /// Pads with zero bits to a whole word and returns the bytes: a frame's
    /// bitstream ends on a 16-bit boundary, where the decoder realigns.
    pub(super) fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.put(0, 16 - self.n);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_little_endian_and_bits_msb_first() {
        let mut w = BitWriter::new();
        w.put(0b101, 3);
        w.put(0x1FFF, 13);
        w.put(0xABCD, 16);
        w.put(1, 1);
        // 1011_1111_1111_1111 = 0xBFFF, then 0xABCD, then 1 padded.
        assert_eq!(w.finish(), vec![0xFF, 0xBF, 0xCD, 0xAB, 0x00, 0x80]);
    }

    #[test]
    fn thirty_two_bits_at_once() {
        let mut w = BitWriter::new();
        w.put(1, 1);
        w.put(0xDEAD_BEEF, 32);
        let out = w.finish();
        assert_eq!(out.len(), 6);
        assert_eq!(&out[..2], &[0x56, 0xEF]); // 1 + 0xDEAD >> 1 = 0xEF56
    }
}
