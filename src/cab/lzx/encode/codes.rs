//! Huffman code lengths for the encoder: length-limited, canonical, and
//! written as LZX writes trees (a pretree over deltas against the previous
//! block's lengths).

use super::bits::BitWriter;
use crate::cab::lzx::PRETREE_SYMBOLS;

/// Code lengths for `freq`, none longer than `max_len`.
///
/// The decoder (like libmspack's) accepts only complete codes, so a code
/// with one used symbol gets a second, unused symbol of length 1; a code
/// with none is left empty (all zero), which LZX allows for the length
/// tree. Lengths past the limit are fixed by halving the frequencies and
/// building again: a few rounds at most, and the trees are small.
pub(crate) fn code_lengths(freq: &[u32], max_len: u32, lens: &mut [u8]) {
    debug_assert_eq!(freq.len(), lens.len());
    debug_assert!(freq.len() >= 2 && (1usize << max_len) >= freq.len());
    lens.fill(0);
    let mut used: Vec<(u32, usize)> = freq
        .iter()
        .enumerate()
        .filter(|(_, &f)| f > 0)
        .map(|(s, &f)| (f, s))
        .collect();
    // Symbols index `lens` as they index `freq`: the two are as long.
    match used.as_slice() {
        [] => return,
        &[(_, s)] => {
            for other in [s, usize::from(s == 0)] {
                if let Some(l) = lens.get_mut(other) {
                    *l = 1;
                }
            }
            return;
        }
        _ => {}
    }
    loop {
        used.sort_unstable();
        let depths = huffman_depths(&used);
        if depths.iter().all(|&d| d <= max_len) {
            for (&(_, s), &d) in used.iter().zip(&depths) {
                if let Some(l) = lens.get_mut(s) {
                    *l = d as u8;
                }
            }
            return;
        }
        for (f, _) in &mut used {
            *f = (*f >> 1).max(1);
        }
    }
}

/// Depths of the leaves of a Huffman tree over `sorted` (ascending
/// weights), built with two queues: leaves in order, and internal nodes in
/// the order they are made, which is also ascending.
#[expect(
    clippy::indexing_slicing,
    reason = "indices are node numbers below 2n - 1, the length of weight, parent and depth: \
              take() returns a leaf below n or a made node below next, and next stops at 2n - 1"
)]
fn huffman_depths(sorted: &[(u32, usize)]) -> Vec<u32> {
    let n = sorted.len();
    let mut weight: Vec<u64> = sorted.iter().map(|&(f, _)| u64::from(f)).collect();
    weight.resize(2 * n - 1, 0);
    let mut parent = vec![0usize; 2 * n - 1];
    let (mut leaf, mut inner, mut next) = (0, n, n);
    let mut take = |weight: &[u64], next: usize| {
        if leaf < n && (inner >= next || weight[leaf] <= weight[inner]) {
            leaf += 1;
            leaf - 1
        } else {
            inner += 1;
            inner - 1
        }
    };
    while next < 2 * n - 1 {
        let a = take(&weight, next);
        let b = take(&weight, next);
        weight[next] = weight[a] + weight[b];
        parent[a] = next;
        parent[b] = next;
        next += 1;
    }
    // Parents come after their children, so one backward pass sets depths.
    let mut depth = vec![0u32; 2 * n - 1];
    for i in (0..2 * n - 2).rev() {
        depth[i] = depth[parent[i]] + 1;
    }
    depth.truncate(n);
    depth
}

/// Canonical codes for `lens`: shorter codes first, equal lengths in
/// symbol order, as the decoder's tables assume.
#[expect(
    clippy::indexing_slicing,
    reason = "lengths come from code_lengths with a limit of at most 16, and count and \
              next have 17 entries"
)]
pub(crate) fn canonical_codes(lens: &[u8], codes: &mut [u16]) {
    let mut count = [0u32; 17];
    for &l in lens {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 17];
    let mut code = 0u32;
    for len in 1..17 {
        code = (code + count[len - 1]) << 1;
        next[len] = code;
    }
    for (c, &l) in codes.iter_mut().zip(lens) {
        if l > 0 {
            *c = next[usize::from(l)] as u16;
            next[usize::from(l)] += 1;
        }
    }
}

/// One pretree token: a code 0–19, its extra bits, and for code 19 the
/// delta code that follows.
#[derive(Clone, Copy)]
struct Token {
    code: u8,
    extra: u8,
    extra_bits: u8,
    then: u8,
}

/// Delta of a new length against the previous one, as the decoder undoes
/// it: new = (prev - delta) mod 17.
fn delta(prev: u8, new: u8) -> u8 {
    (prev + 17 - new) % 17
}

fn tokens(prev: &[u8], new: &[u8]) -> Vec<Token> {
    let mut out = Vec::with_capacity(new.len());
    let (mut prev, mut new) = (prev, new);
    while let (Some(&was), Some(&len)) = (prev.first(), new.first()) {
        let same = new.iter().take_while(|&&l| l == len).count();
        let (token, run) = if len == 0 && same >= 20 {
            let run = same.min(51);
            let token = Token {
                code: 18,
                extra: (run - 20) as u8,
                extra_bits: 5,
                then: 0,
            };
            (token, run)
        } else if len == 0 && same >= 4 {
            let run = same.min(19);
            let token = Token {
                code: 17,
                extra: (run - 4) as u8,
                extra_bits: 4,
                then: 0,
            };
            (token, run)
        } else if same >= 4 {
            // Code 19 applies the first position's delta to the whole run.
            let run = same.min(5);
            let token = Token {
                code: 19,
                extra: (run - 4) as u8,
                extra_bits: 1,
                then: delta(was, len),
            };
            (token, run)
        } else {
            let token = Token {
                code: delta(was, len),
                extra: 0,
                extra_bits: 0,
                then: 0,
            };
            (token, 1)
        };
        out.push(token);
        // run <= same <= new.len(): the rest of both tables after the run.
        prev = prev.get(run..).unwrap_or_default();
        new = new.get(run..).unwrap_or_default();
    }
    out
}

/// Writes `new` as a pretree (20 lengths of 4 bits) and the delta-coded
/// lengths, then makes `new` the lengths the next block is coded against.
#[expect(
    clippy::indexing_slicing,
    reason = "tokens() makes codes 0 to 19 only (16 at most for deltas), and the pretree \
              has PRETREE_SYMBOLS = 20"
)]
pub(crate) fn write_lengths(w: &mut BitWriter, prev: &mut [u8], new: &[u8]) {
    let toks = tokens(prev, new);
    let mut freq = [0u32; PRETREE_SYMBOLS];
    for t in &toks {
        freq[usize::from(t.code)] += 1;
        if t.code == 19 {
            freq[usize::from(t.then)] += 1;
        }
    }
    let mut lens = [0u8; PRETREE_SYMBOLS];
    // Pretree lengths are stored in 4 bits.
    code_lengths(&freq, 15, &mut lens);
    let mut codes = [0u16; PRETREE_SYMBOLS];
    canonical_codes(&lens, &mut codes);
    for &l in &lens {
        w.put(u32::from(l), 4);
    }
    let sym = |w: &mut BitWriter, s: u8| {
        w.put(
            u32::from(codes[usize::from(s)]),
            u32::from(lens[usize::from(s)]),
        )
    };
    for t in &toks {
        sym(w, t.code);
        if t.extra_bits > 0 {
            w.put(u32::from(t.extra), u32::from(t.extra_bits));
        }
        if t.code == 19 {
            sym(w, t.then);
        }
    }
    prev.copy_from_slice(new);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kraft_complete(lens: &[u8]) -> bool {
        let sum: u64 = lens
            .iter()
            .filter(|&&l| l > 0)
            .map(|&l| 1u64 << (32 - l))
            .sum();
        sum == 1 << 32
    }

    #[test]
    fn lengths_are_limited_and_complete() {
        // Fibonacci frequencies make the deepest unlimited Huffman trees.
        let mut freq = vec![0u32; 40];
        let (mut a, mut b) = (1u32, 1u32);
        for f in &mut freq {
            *f = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let mut lens = vec![0u8; 40];
        code_lengths(&freq, 16, &mut lens);
        assert!(lens.iter().all(|&l| (1..=16).contains(&l)), "{lens:?}");
        assert!(kraft_complete(&lens));
        code_lengths(&freq[..20], 15, &mut lens[..20]);
        assert!(lens[..20].iter().all(|&l| (1..=15).contains(&l)));
        assert!(kraft_complete(&lens[..20]));
        // Without the limit the tree would be 39 deep: the limit did work.
        let used: Vec<(u32, usize)> = freq.iter().copied().zip(0..).collect();
        assert!(huffman_depths(&used).iter().any(|&d| d > 16));
    }

    #[test]
    fn one_used_symbol_still_makes_a_complete_code() {
        let mut lens = [0u8; 5];
        code_lengths(&[0, 0, 7, 0, 0], 16, &mut lens);
        assert_eq!(lens, [1, 0, 1, 0, 0]);
        code_lengths(&[3, 0, 0, 0, 0], 16, &mut lens);
        assert_eq!(lens, [1, 1, 0, 0, 0]);
        code_lengths(&[0; 5], 16, &mut lens);
        assert_eq!(lens, [0; 5]);
    }

    #[test]
    fn canonical_codes_follow_length_then_symbol() {
        let lens = [2u8, 1, 3, 3];
        let mut codes = [0u16; 4];
        canonical_codes(&lens, &mut codes);
        assert_eq!(codes, [0b10, 0b0, 0b110, 0b111]);
    }
}
