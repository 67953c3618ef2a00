//! The LZX bit reader over one CFDATA block's bytes.
//!
//! LZX packs bits into 16-bit little-endian words, most significant bit
//! first. The reader keeps up to 64 bits, left-aligned, and refills whole
//! words, four at a time while at least eight input bytes remain.
//!
//! Reading past the end of the input yields zero bits instead of failing on
//! the spot, so the hot loop needs no bounds test per symbol; the caller
//! asks [`BitReader::overrun`] at block and frame boundaries, where the
//! damage is bounded (a frame is at most 32 KiB of output).

#[derive(Clone, Copy)]
pub(super) struct BitReader<'a> {
    data: &'a [u8],
    /// The next input byte to load. May pass `data.len()` by the zero words
    /// read past the end.
    pos: usize,
    /// Buffered bits, the next one in bit 63.
    buf: u64,
    /// How many bits of `buf` are valid.
    count: u32,
}

/// After [`BitReader::refill`] the buffer holds at least this many bits:
/// enough for a main symbol, a length symbol and a verbatim offset footer
/// (16 + 16 + 17).
const REFILL_MIN: u32 = 49;

impl<'a> BitReader<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            buf: 0,
            count: 0,
        }
    }

    /// Tops the buffer up to at least [`REFILL_MIN`] bits.
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        if self.count > 48 {
            return;
        }
        if let Some(bytes) = self
            .data
            .get(self.pos..self.pos + 8)
            .and_then(<[u8]>::first_chunk::<8>)
        {
            let x = u64::from_le_bytes(*bytes);
            // Words w0..w3 (each little-endian) in stream order, w0 on top.
            let v = ((x & 0xFFFF) << 48)
                | ((x & 0xFFFF_0000) << 16)
                | ((x >> 16) & 0xFFFF_0000)
                | (x >> 48);
            let words = (64 - self.count) >> 4;
            let keep = v & (u64::MAX << (64 - 16 * words));
            self.buf |= keep >> self.count;
            self.count += 16 * words;
            self.pos += 2 * words as usize;
        } else {
            self.refill_slow();
        }
        debug_assert!(self.count >= REFILL_MIN);
    }

    #[cold]
    fn refill_slow(&mut self) {
        while self.count <= 48 {
            let lo = self.data.get(self.pos).copied().unwrap_or(0);
            let hi = self.data.get(self.pos + 1).copied().unwrap_or(0);
            let w = u64::from(u16::from_le_bytes([lo, hi]));
            self.buf |= w << (48 - self.count);
            self.count += 16;
            self.pos += 2;
        }
    }

    /// The next `n` bits (1 to 32) without consuming them.
    #[inline(always)]
    pub(super) fn peek(&self, n: u32) -> u32 {
        (self.buf >> (64 - n)) as u32
    }

    /// Drops `n` bits (at most the buffered count).
    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.count);
        self.buf <<= n;
        self.count -= n;
    }

    /// Reads `n` bits (0 to 32). The buffer must hold them: call
    /// [`BitReader::refill`] first (it guarantees [`REFILL_MIN`]).
    #[inline(always)]
    pub(super) fn bits(&mut self, n: u32) -> u32 {
        // Two shifts so that n == 0 gives 0 rather than a shift by 64.
        let v = ((self.buf >> 1) >> (63 - n)) as u32;
        self.consume(n);
        v
    }

    /// Refills and reads `n` bits (0 to 32).
    pub(super) fn read(&mut self, n: u32) -> u32 {
        if n > 16 {
            let hi = self.read(n - 16);
            return (hi << 16) | self.read(16);
        }
        self.refill();
        self.bits(n)
    }

    /// Bits consumed so far, counting from the start of the input.
    pub(super) fn consumed_bits(&self) -> usize {
        self.pos * 8 - self.count as usize
    }

    /// Whether more bits were consumed than the input holds.
    pub(super) fn overrun(&self) -> bool {
        self.consumed_bits() > self.data.len() * 8
    }

    /// Skips to the next 16-bit boundary (counted from where bit reading
    /// last started); skips a whole word when already on one, as the
    /// uncompressed block header demands. Returns the byte position reached
    /// and leaves the reader empty there: the caller reads bytes next.
    pub(super) fn align_for_bytes(&mut self) -> usize {
        let partial = self.count % 16;
        let skip = if partial == 0 { 16 } else { partial };
        self.refill();
        self.consume(skip);
        let at = self.pos - (self.count / 8) as usize;
        self.reset_to(at);
        at
    }

    /// Restarts bit reading at byte `at` (after raw bytes were read).
    pub(super) fn reset_to(&mut self, at: usize) {
        self.pos = at;
        self.buf = 0;
        self.count = 0;
    }

    /// The byte position when the reader is empty (after
    /// [`BitReader::align_for_bytes`] or [`BitReader::reset_to`]).
    pub(super) fn byte_pos(&self) -> usize {
        debug_assert_eq!(self.count, 0);
        self.pos
    }

    pub(super) fn data(&self) -> &'a [u8] {
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_little_endian_and_bits_msb_first() {
        // Words 0x1234, 0xABCD, then nine more bytes for the fast path.
        let data = [0x34, 0x12, 0xCD, 0xAB, 0x01, 0x80, 0, 0, 0, 0, 0, 0, 0xFF];
        let mut br = BitReader::new(&data);
        assert_eq!(br.read(4), 0x1);
        assert_eq!(br.read(8), 0x23);
        assert_eq!(br.read(8), 0x4A);
        assert_eq!(br.read(12), 0xBCD);
        assert_eq!(br.read(16), 0x8001);
        assert_eq!(br.read(0), 0);
        assert_eq!(br.consumed_bits(), 48);
        assert!(!br.overrun());
    }

    #[test]
    fn slow_and_fast_refill_agree() {
        let data: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0x5A).collect();
        let mut a = BitReader::new(&data);
        let mut b = BitReader::new(&data);
        for n in (1..=17).cycle().take(30) {
            a.refill();
            b.refill_slow();
            assert_eq!(a.bits(n), b.bits(n), "{n}");
        }
    }

    #[test]
    fn reading_past_the_end_gives_zeros_and_reports_overrun() {
        let data = [0xFF, 0xFF];
        let mut br = BitReader::new(&data);
        assert_eq!(br.read(16), 0xFFFF);
        assert!(!br.overrun());
        assert_eq!(br.read(3), 0);
        assert!(br.overrun());
    }

    #[test]
    fn alignment_for_uncompressed_blocks() {
        let data = [0u8; 16];
        let mut br = BitReader::new(&data);
        br.read(5);
        assert_eq!(br.align_for_bytes(), 2);
        // On a word boundary a whole word is skipped.
        let mut br = BitReader::new(&data);
        br.read(16);
        assert_eq!(br.align_for_bytes(), 4);
        // From an odd restart position the words count from there.
        br.reset_to(5);
        br.read(1);
        assert_eq!(br.align_for_bytes(), 7);
    }
}
