//! Match finding: hash chains over the window, lazy evaluation one byte
//! ahead, and the three repeated offsets.
//!
//! Why this shape: package.xml is text full of repeats at short and long
//! range (tags, attribute names, GUIDs seen before). Greedy matching with a
//! bounded chain finds most of them at tens of MB/s; looking one byte ahead
//! recovers most of what greedy loses; the repeated offsets make "the same
//! distance again" (attribute runs in records of equal shape) cost a main
//! symbol and nothing else. An optimal parser (as the lzxc crate has)
//! compresses a few percent better at a hundredth of the speed.

use crate::cab::lzx::{EXTRA_BITS, MIN_MATCH, NUM_CHARS, POSITION_BASE};

/// The longest match LZX can code: 2 + 7 + 248.
pub(super) const MAX_MATCH: usize = 257;
/// Hash chains index 6-byte prefixes: in XML, 4-byte ones (`="`, `<Up`)
/// make long chains of candidates that do not go on matching.
const HASH_LEN: usize = 6;
const HASH_BITS: u32 = 17;
/// How far back chains reach. The hash heads reach the whole window, so a
/// string seen once long ago (a GUID, a URL) is still found; the chains
/// behind them stay short-range, and their table (1 MiB) stays in cache.
/// With chains as long as the window (8 MiB of table at 2^21) the matcher
/// spent most of its time waiting for memory.
const CHAIN_SPAN: usize = 1 << 18;
/// Candidates looked at per position. Walking a chain is a cache miss per
/// candidate, and the matcher's time is almost all there.
const CHAIN_DEPTH: usize = 16;
/// Once a match this long is found, only a quarter of the chain is walked.
const GOOD_LEN: usize = 16;
/// A match this long is taken without looking one byte ahead.
const LAZY_LEN: usize = 32;
/// A match this long is taken at once, without looking further.
const NICE_LEN: usize = 64;
/// Positions without a match after which [`Matcher::skip_misses`] starts
/// skipping.
const SKIP_AFTER: usize = 128;
/// Rough bits per literal and per main symbol on catalog text, for
/// weighing a match against the literals it replaces.
const LITERAL_BITS: i32 = 6;
const SYMBOL_BITS: i32 = 8;

/// One coded symbol: a literal (main < 256) or a match.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sym {
    pub main: u16,
    /// The length tree symbol plus one; 0 when the match needs none.
    pub length: u16,
    pub footer_bits: u8,
    pub footer: u32,
}

#[derive(Clone, Copy, Default)]
struct Match {
    len: usize,
    dist: u32,
    score: i32,
}

pub(super) struct Matcher {
    /// Input from absolute position `base` on: at least the window behind
    /// the current frame, and the frame.
    buf: Vec<u8>,
    base: u64,
    window_size: usize,
    /// The farthest distance coded: LZX leaves the last 3 bytes of the
    /// window out.
    max_dist: usize,
    /// Most recent position + 1 per hash (0: none).
    head: Vec<u32>,
    /// Previous position + 1 with the same hash, by position mod
    /// [`CHAIN_SPAN`].
    prev: Vec<u32>,
    /// Positions below this are in the chains.
    inserted: u64,
    /// The repeated offsets R0, R1, R2, as the decoder keeps them.
    r: [u32; 3],
    /// Search less where nothing matches (see [`Matcher::skip_misses`]).
    skip_misses: bool,
    #[cfg(test)]
    pub(super) rep_matches: usize,
}

impl Matcher {
    pub(super) fn new(window_bits: u8) -> Matcher {
        let window_size = 1usize << window_bits;
        Matcher {
            buf: Vec::new(),
            base: 0,
            window_size,
            max_dist: window_size - 3,
            head: vec![0; 1 << HASH_BITS],
            prev: vec![0; CHAIN_SPAN.min(window_size)],
            inserted: 0,
            r: [1, 1, 1],
            skip_misses: false,
            #[cfg(test)]
            rep_matches: 0,
        }
    }

    /// After a long run of positions without a match, search only every
    /// few positions (more the longer the run; the first match found
    /// ends it), as LZ4 and zstd do: input that is already compressed
    /// (the shards inside the outer cabinet) then costs a fraction of a
    /// full search, and comes out as the same literals. Text rarely has
    /// such runs, so its output is the same as without.
    pub(super) fn skip_misses(&mut self, on: bool) {
        self.skip_misses = on;
    }

    /// Absolute position of the end of the input so far.
    pub(super) fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Adds input. Old bytes beyond the window are dropped now and then:
    /// once the buffer holds two windows, one window's worth moves.
    pub(super) fn append(&mut self, data: &[u8]) {
        if self.buf.len() + data.len() > 2 * self.window_size + data.len().max(1 << 15) {
            let drop = self.buf.len() - self.window_size;
            self.buf.drain(..drop);
            self.base += drop as u64;
        }
        self.buf.extend_from_slice(data);
    }

    #[inline(always)]
    #[expect(
        clippy::indexing_slicing,
        reason = "callers hash only positions with HASH_LEN bytes of input after them"
    )]
    fn hash(&self, at: usize) -> usize {
        let mut b = [0u8; 8];
        b[..HASH_LEN].copy_from_slice(&self.buf[at..at + HASH_LEN]);
        let v = u64::from_le_bytes(b);
        (v.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - HASH_BITS)) as usize
    }

    /// Puts every position below `upto` that has a full hash prefix into
    /// its chain.
    #[inline(always)]
    #[expect(
        clippy::indexing_slicing,
        reason = "hash() is below 2^HASH_BITS, head's length, and the chain index is masked \
                  to prev's length, a power of two"
    )]
    fn insert_upto(&mut self, upto: u64) {
        let limit = upto.min((self.end() + 1).saturating_sub(HASH_LEN as u64));
        let mask = self.prev.len() - 1;
        while self.inserted < limit {
            let p = self.inserted;
            let h = self.hash((p - self.base) as usize);
            self.prev[p as usize & mask] = self.head[h];
            self.head[h] = p as u32 + 1;
            self.inserted += 1;
        }
    }

    /// How many bytes at `a` equal those at `b` (b < a), up to `max`.
    #[inline(always)]
    fn common(&self, a: usize, b: usize, max: usize) -> usize {
        // best() passes ranges inside buf: max stops at the end of the
        // input, and b is behind a.
        let (Some(x), Some(y)) = (self.buf.get(a..a + max), self.buf.get(b..b + max)) else {
            return 0;
        };
        let mut n = 0;
        for (p, q) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
            if let (Some(p), Some(q)) = (p.first_chunk::<8>(), q.first_chunk::<8>()) {
                let diff = u64::from_le_bytes(*p) ^ u64::from_le_bytes(*q);
                if diff != 0 {
                    return n + (diff.trailing_zeros() / 8) as usize;
                }
            }
            n += 8;
        }
        n + x.iter().zip(y).skip(n).take_while(|(p, q)| p == q).count()
    }

    /// The best match at absolute position `p`, ending no later than `to`.
    #[expect(
        clippy::indexing_slicing,
        reason = "hash() is below head's length, chain indices are masked to prev's, and \
                  buffer positions are behind p by at most the history, or before the match's \
                  end at to"
    )]
    fn best(&mut self, p: u64, to: u64) -> Match {
        self.insert_upto(p);
        let max = (to - p).min(MAX_MATCH as u64) as usize;
        let mut best = Match::default();
        if max < MIN_MATCH {
            return best;
        }
        let at = (p - self.base) as usize;
        let history = p.min(self.max_dist as u64) as usize;
        for &d in &self.r {
            let d = d as usize;
            if d > history {
                continue;
            }
            let len = self.common(at, at - d, max);
            if len >= MIN_MATCH {
                let score = score(len, 0);
                if score > best.score {
                    best = Match {
                        len,
                        dist: d as u32,
                        score,
                    };
                }
            }
        }
        if max < HASH_LEN || at + HASH_LEN > self.buf.len() || best.len >= NICE_LEN {
            return best;
        }
        let mask = self.prev.len() - 1;
        let mut cand = self.head[self.hash(at)];
        let mut chain_best = 0usize;
        let mut chain_dist = 0usize;
        let mut depth = if best.len >= GOOD_LEN {
            CHAIN_DEPTH / 4
        } else {
            CHAIN_DEPTH
        };
        while depth > 0 {
            depth -= 1;
            if cand == 0 {
                break;
            }
            let c = u64::from(cand - 1);
            let d = (p - c) as usize;
            if d > history {
                break;
            }
            let cat = at - d;
            // One byte decides most candidates: the one that would make
            // this match longer than the best so far.
            if chain_best < max && self.buf[cat + chain_best] == self.buf[at + chain_best] {
                let len = self.common(at, cat, max);
                if len > chain_best {
                    if chain_best < GOOD_LEN && len >= GOOD_LEN {
                        depth = depth.min(CHAIN_DEPTH / 4);
                    }
                    chain_best = len;
                    chain_dist = d;
                    if len >= NICE_LEN || len == max {
                        break;
                    }
                }
            }
            // The chain entry of a position older than the span has been
            // overwritten by a newer position's.
            if d >= self.prev.len() {
                break;
            }
            cand = self.prev[c as usize & mask];
        }
        if chain_best >= 3 {
            let score = score(chain_best, footer_bits(chain_dist as u32));
            if score > best.score {
                best = Match {
                    len: chain_best,
                    dist: chain_dist as u32,
                    score,
                };
            }
        }
        best
    }

    /// Codes the input from absolute `from` to `to` (within one frame) as
    /// symbols appended to `out`. Matches never run past `to`.
    #[expect(
        clippy::indexing_slicing,
        reason = "p runs from `from` to `to`, inside the input appended to buf"
    )]
    pub(super) fn parse(&mut self, from: u64, to: u64, out: &mut Vec<Sym>) {
        let mut p = from;
        let mut ahead: Option<Match> = None;
        let mut misses = 0usize;
        while p < to {
            let m = match ahead.take() {
                Some(m) => m,
                None => self.best(p, to),
            };
            if m.len == 0 {
                out.push(literal(self.buf[(p - self.base) as usize]));
                p += 1;
                misses += 1;
                if self.skip_misses && misses > SKIP_AFTER {
                    let skip = ((misses - SKIP_AFTER) >> 4).min(64).min((to - p) as usize);
                    let start = (p - self.base) as usize;
                    for &b in &self.buf[start..start + skip] {
                        out.push(literal(b));
                    }
                    p += skip as u64;
                }
                continue;
            }
            misses = 0;
            if m.len < LAZY_LEN && p + 1 < to {
                let next = self.best(p + 1, to);
                // A literal, then a match that saves more, beats this
                // match (zlib's rule, with scores for lengths; charging
                // the literal as well measured slightly worse).
                if next.score > m.score {
                    out.push(literal(self.buf[(p - self.base) as usize]));
                    p += 1;
                    ahead = Some(next);
                    continue;
                }
            }
            out.push(self.code_match(m));
            p += m.len as u64;
        }
        // Positions within a hash prefix of the end wait for more input.
        self.insert_upto(to);
    }

    /// The symbol for a match, with R0–R2 updated as the decoder will.
    fn code_match(&mut self, m: Match) -> Sym {
        // A new match at a distance the repeated offsets hold would cost
        // more than the repeat: code it as the repeat.
        let (slot, footer_bits, footer) = match self.r.iter().position(|&r| r == m.dist) {
            Some(i) => {
                self.r.swap(0, i);
                #[cfg(test)]
                {
                    self.rep_matches += 1;
                }
                (i, 0, 0)
            }
            None => {
                self.r = [m.dist, self.r[0], self.r[1]];
                position_slot(m.dist)
            }
        };
        let low = m.len - MIN_MATCH;
        let main = (NUM_CHARS + slot * 8 + low.min(7)) as u16;
        let length = if low >= 7 { (low - 7 + 1) as u16 } else { 0 };
        Sym {
            main,
            length,
            footer_bits,
            footer,
        }
    }
}

fn literal(b: u8) -> Sym {
    Sym {
        main: u16::from(b),
        length: 0,
        footer_bits: 0,
        footer: 0,
    }
}

fn footer_bits(dist: u32) -> u8 {
    position_slot(dist).1
}

/// The position slot of a new match distance, with the slot's footer bit
/// count and footer: the stream carries the distance plus 2, as the slot's
/// base plus the footer.
#[expect(
    clippy::indexing_slicing,
    reason = "distance + 2 is at least 3 and base[0] is 0, so the slot (the last base at most \
              it) is a valid index into the slot tables"
)]
fn position_slot(dist: u32) -> (usize, u8, u32) {
    let f = dist + 2;
    let slot = POSITION_BASE.partition_point(|&b| b <= f) - 1;
    (slot, EXTRA_BITS[slot], f - POSITION_BASE[slot])
}

/// Bits a match saves against coding its bytes as literals.
fn score(len: usize, footer_bits: u8) -> i32 {
    len as i32 * LITERAL_BITS - SYMBOL_BITS - i32::from(footer_bits)
}
