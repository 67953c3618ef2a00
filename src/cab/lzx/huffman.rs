//! Canonical Huffman decoding tables for LZX.
//!
//! LZX codes are canonical (codes of equal length are consecutive and in
//! symbol order, shorter codes first) and read most significant bit first.
//! A table maps the next `PRIMARY` bits of the stream (`SIZE` =
//! 2^`PRIMARY` entries) straight to a symbol and its length; codes longer
//! than that go through one secondary table per prefix, indexed by the next
//! `MAX_LEN - PRIMARY` bits.
//!
//! Only complete codes are accepted, as libmspack does: an oversubscribed or
//! incomplete set of lengths cannot have come from an encoder. A code with
//! no lengths at all is valid (LZX blocks without long matches leave the
//! length tree empty) but has no symbols: decoding from it yields
//! [`EMPTY`], which the caller must treat as an error.

use super::bits::BitReader;

/// The symbol an empty code decodes to: larger than any real symbol.
pub(super) const EMPTY: u32 = 0xFFFF;

/// Flag on a primary entry that points at a secondary table.
const SUBTABLE: u32 = 0x8000;

/// A decoding table for a code whose lengths are at most `MAX_LEN` bits
/// (at most 16), with `SIZE` (a power of two) primary entries.
///
/// Entry layout: bits 16..32 hold the symbol (or, with [`SUBTABLE`], where
/// the secondary table starts in `sub`); bits 0..5 hold the number of bits
/// the entry accounts for.
pub(super) struct Table<const SIZE: usize, const MAX_LEN: u32> {
    /// A fixed-size array, so that indexing by `PRIMARY` bits needs no
    /// bounds check.
    primary: [u32; SIZE],
    sub: Vec<u32>,
}

impl<const SIZE: usize, const MAX_LEN: u32> Table<SIZE, MAX_LEN> {
    const PRIMARY: u32 = SIZE.trailing_zeros();
    const SUB_BITS: u32 = MAX_LEN - Self::PRIMARY;

    /// An empty table (no symbols).
    pub(super) fn new() -> Self {
        assert!(SIZE.is_power_of_two() && Self::PRIMARY <= MAX_LEN && MAX_LEN <= 16);
        Table {
            primary: [EMPTY << 16; SIZE],
            sub: Vec::new(),
        }
    }

    /// Rebuilds the table from code lengths (0 = symbol unused).
    pub(super) fn build(&mut self, lens: &[u8], what: &str) -> Result<(), String> {
        let mut count = [0u32; 17];
        for &l in lens {
            match count.get_mut(usize::from(l)) {
                Some(c) if u32::from(l) <= MAX_LEN => *c += 1,
                _ => return Err(format!("{what}: code length {l} exceeds {MAX_LEN}")),
            }
        }
        count[0] = 0;
        self.primary.fill(EMPTY << 16);
        self.sub.clear();
        if count.iter().all(|&c| c == 0) {
            return Ok(());
        }
        // Kraft: the code must fill the code space exactly.
        let mut left: i64 = 1;
        for &c in count.iter().skip(1).take(MAX_LEN as usize) {
            left = (left << 1) - i64::from(c);
            if left < 0 {
                return Err(format!("{what}: the code lengths are oversubscribed"));
            }
        }
        if left != 0 {
            return Err(format!("{what}: the code lengths are incomplete"));
        }
        // First canonical code of each length: next[len] follows the codes
        // of count[len - 1].
        let mut next = [0u32; 17];
        let mut code = 0u32;
        for (n, &c) in next.iter_mut().skip(1).zip(&count).take(MAX_LEN as usize) {
            code = (code + c) << 1;
            *n = code;
        }
        for (sym, &l) in lens.iter().enumerate() {
            // Every length was checked against MAX_LEN above.
            let Some(n) = next.get_mut(usize::from(l)).filter(|_| l != 0) else {
                continue;
            };
            let code = *n;
            *n += 1;
            self.place(sym as u32, code, u32::from(l))
                .ok_or_else(|| format!("{what}: a code does not fit its table"))?;
        }
        Ok(())
    }

    /// Enters symbol `sym` with code `code` of `len` bits: in the primary
    /// table if it is short enough, else in the secondary table under its
    /// first `PRIMARY` bits. The Kraft check in [`Table::build`] keeps every
    /// range inside the tables, so `None` (a range outside) cannot happen.
    fn place(&mut self, sym: u32, code: u32, len: u32) -> Option<()> {
        if len <= Self::PRIMARY {
            let start = (code << (Self::PRIMARY - len)) as usize;
            let end = ((code + 1) << (Self::PRIMARY - len)) as usize;
            self.primary.get_mut(start..end)?.fill((sym << 16) | len);
        } else {
            let extra = len - Self::PRIMARY;
            let entry = self.primary.get_mut((code >> extra) as usize)?;
            let at = if *entry & SUBTABLE != 0 {
                (*entry >> 16) as usize
            } else {
                let at = self.sub.len();
                self.sub.resize(at + (1 << Self::SUB_BITS), EMPTY << 16);
                *entry = ((at as u32) << 16) | SUBTABLE | Self::PRIMARY;
                at
            };
            let low = code & ((1 << extra) - 1);
            let start = at + (low << (Self::SUB_BITS - extra)) as usize;
            let end = at + ((low + 1) << (Self::SUB_BITS - extra)) as usize;
            self.sub.get_mut(start..end)?.fill((sym << 16) | extra);
        }
        Some(())
    }

    /// Decodes one symbol. The reader must hold at least `MAX_LEN` bits
    /// (it reads zeros past the end of its input). An empty code gives
    /// [`EMPTY`] and consumes nothing.
    #[inline(always)]
    #[expect(
        clippy::indexing_slicing,
        reason = "peek(PRIMARY) is below 2^PRIMARY = SIZE, the primary table's length; \
                  a subtable entry holds where build() put a subtable of 2^SUB_BITS entries, \
                  and peek(SUB_BITS) is below that"
    )]
    pub(super) fn decode(&self, br: &mut BitReader<'_>) -> u32 {
        let e = self.primary[br.peek(Self::PRIMARY) as usize];
        if e & SUBTABLE == 0 {
            br.consume(e & 0x1F);
            e >> 16
        } else {
            br.consume(Self::PRIMARY);
            let e = self.sub[(e >> 16) as usize + br.peek(Self::SUB_BITS) as usize];
            br.consume(e & 0x1F);
            e >> 16
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(lens: &[u8], bits: &[u8]) -> Vec<u32> {
        let mut t = Table::<16, 16>::new();
        t.build(lens, "test").unwrap();
        let mut br = BitReader::new(bits);
        let mut out = Vec::new();
        for _ in 0..4 {
            br.refill();
            out.push(t.decode(&mut br));
        }
        out
    }

    #[test]
    fn canonical_codes_short_and_long() {
        // 1/2 + 1/4 + 1/8 + 4/32 = 1: codes 0, 10, 110, 11100..11111.
        let lens = [1, 2, 3, 5, 5, 5, 5];
        // Stream (MSB first in 16-bit LE words): sym3 = 11100, sym0 = 0,
        // sym6 = 11111, sym2 = 110 -> 11100 0 11111 110 + padding.
        let word: u16 = 0b1110_0011_1111_1000;
        let out = decode_all(&lens, &word.to_le_bytes());
        assert_eq!(out, vec![3, 0, 6, 2]);
    }

    #[test]
    fn sixteen_bit_codes_use_secondary_tables() {
        // Lengths 1..=15, then 16 twice: 1/2 + ... + 1/2^15 + 2/2^16 = 1.
        let mut lens: Vec<u8> = (1..=15).collect();
        lens.push(16);
        lens.push(16);
        let mut t = Table::<16, 16>::new();
        t.build(&lens, "test").unwrap();
        // Symbol 16 (the second 16-bit code) is all ones.
        let bits = [0xFF, 0xFF, 0xFE, 0xFF];
        let mut br = BitReader::new(&bits);
        br.refill();
        assert_eq!(t.decode(&mut br), 16);
        assert_eq!(t.decode(&mut br), 15);
    }

    #[test]
    fn incomplete_and_oversubscribed_codes_are_errors() {
        let mut t = Table::<16, 16>::new();
        assert!(t.build(&[1], "t").unwrap_err().contains("incomplete"));
        assert!(t.build(&[1, 2], "t").unwrap_err().contains("incomplete"));
        assert!(t
            .build(&[1, 1, 1], "t")
            .unwrap_err()
            .contains("oversubscribed"));
        assert!(t.build(&[17, 1], "t").is_err());
    }

    #[test]
    fn empty_code_decodes_to_empty() {
        let mut t = Table::<16, 16>::new();
        t.build(&[0, 0, 0], "t").unwrap();
        let bits = [0u8; 4];
        let mut br = BitReader::new(&bits);
        br.refill();
        assert_eq!(t.decode(&mut br), EMPTY);
    }
}
