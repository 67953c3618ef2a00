//! A deterministic mutant generator for cabinets (issue 12's differential
//! mutation test, `tests/it/mutation.rs`).
//!
//! The original file is cut into named regions (every CFHEADER field, each
//! CFFOLDER and CFFILE field, each CFDATA header and payload, every DER
//! header and content inside an Authenticode signature, its padding); the
//! mutants are bit flips at every structural byte, zeroed and saturated
//! fields, random single-bit flips anywhere, truncations, appends and
//! inserts. Every mutant carries its class (the region it hit, without
//! indices) so that the harness can tally and list them by kind.

/// splitmix64: tiny, fixed, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A named byte range of the original file.
#[derive(Debug, Clone)]
pub struct Region {
    pub start: usize,
    pub end: usize,
    /// The kind, without indices: `CFFILE.cbFile`, `PKCS#7 DER header`.
    pub class: String,
    /// The instance: `CFFILE[4].cbFile (package.cab)`.
    pub name: String,
    /// A header field or DER header (flipped bit by bit), not bulk data.
    pub structural: bool,
}

/// One mutated file.
pub struct Mutant {
    /// What kind of damage where, without indices (for tallies).
    pub class: String,
    /// Exactly what was done (for failure messages).
    pub what: String,
    pub bytes: Vec<u8>,
}

fn u16_at(b: &[u8], at: usize) -> usize {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]) as usize)
}

fn u32_at(b: &[u8], at: usize) -> usize {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

struct Regions(Vec<Region>);

impl Regions {
    fn field(&mut self, start: usize, len: usize, class: &str, name: String) {
        self.0.push(Region {
            start,
            end: start + len,
            class: class.to_string(),
            name,
            structural: true,
        });
    }

    fn bulk(&mut self, start: usize, end: usize, class: &str, name: String) {
        if end > start {
            self.0.push(Region {
                start,
                end,
                class: class.to_string(),
                name,
                structural: false,
            });
        }
    }
}

const HEADER_FIELDS: &[(usize, usize, &str)] = &[
    (0, 4, "signature"),
    (4, 4, "reserved1"),
    (8, 4, "cbCabinet"),
    (12, 4, "reserved2"),
    (16, 4, "coffFiles"),
    (20, 4, "reserved3"),
    (24, 1, "versionMinor"),
    (25, 1, "versionMajor"),
    (26, 2, "cFolders"),
    (28, 2, "cFiles"),
    (30, 2, "flags"),
    (32, 2, "setID"),
    (34, 2, "iCabinet"),
];

const RESERVE_FIELDS: &[(usize, usize, &str)] = &[
    (36, 2, "cbCFHeader"),
    (38, 1, "cbCFFolder"),
    (39, 1, "cbCFData"),
];

/// The Authenticode reserve (cbCFHeader 20), as docs/signature.md names it.
const AUTHENTICODE_FIELDS: &[(usize, usize, &str)] = &[
    (40, 4, "reserve.magic"),
    (44, 4, "reserve.sigOffset"),
    (48, 4, "reserve.sigLength"),
    (52, 4, "reserve[12..16]"),
    (56, 4, "reserve[16..20]"),
];

const FILE_FIELDS: &[(usize, usize, &str)] = &[
    (0, 4, "cbFile"),
    (4, 4, "uoffFolderStart"),
    (8, 2, "iFolder"),
    (10, 2, "date"),
    (12, 2, "time"),
    (14, 2, "attribs"),
];

/// Header, folder table, file table, data blocks and (if any) the
/// Authenticode signature of a well-formed cabinet.
pub fn regions(b: &[u8]) -> Vec<Region> {
    let mut r = Regions(Vec::new());
    for &(at, len, name) in HEADER_FIELDS {
        r.field(
            at,
            len,
            &format!("CFHEADER.{name}"),
            format!("CFHEADER.{name}"),
        );
    }
    let flags = u16_at(b, 30);
    let mut pos = 36;
    let mut sig = None;
    if flags & 4 != 0 {
        for &(at, len, name) in RESERVE_FIELDS {
            r.field(
                at,
                len,
                &format!("CFHEADER.{name}"),
                format!("CFHEADER.{name}"),
            );
        }
        let cb_header = u16_at(b, 36);
        if cb_header == 20 && b[40..44] == [0, 0, 0x10, 0] {
            for &(at, len, name) in AUTHENTICODE_FIELDS {
                r.field(
                    at,
                    len,
                    &format!("CFHEADER.{name}"),
                    format!("CFHEADER.{name}"),
                );
            }
            sig = Some((u32_at(b, 44), u32_at(b, 48)));
        } else {
            r.bulk(
                40,
                40 + cb_header,
                "CFHEADER.reserve",
                "CFHEADER.reserve".into(),
            );
        }
        pos = 40 + cb_header;
    }
    assert_eq!(flags & 3, 0, "a lone cabinet");
    let folders = folder_table(&mut r, b, pos, u16_at(b, 26));
    file_table(&mut r, b, u32_at(b, 16), u16_at(b, 28));
    for (i, &(off, blocks)) in folders.iter().enumerate() {
        data_blocks(&mut r, b, i, off, blocks);
    }
    if let Some((off, len)) = sig {
        signature(&mut r, b, off, off + len);
    }
    let mut v = r.0;
    v.sort_by_key(|x| x.start);
    v
}

fn folder_table(r: &mut Regions, b: &[u8], mut pos: usize, n: usize) -> Vec<(usize, usize)> {
    let mut folders = Vec::new();
    for i in 0..n {
        for (at, len, name) in [
            (0, 4, "coffCabStart"),
            (4, 2, "cCFData"),
            (6, 2, "typeCompress"),
        ] {
            r.field(
                pos + at,
                len,
                &format!("CFFOLDER.{name}"),
                format!("CFFOLDER[{i}].{name}"),
            );
        }
        folders.push((u32_at(b, pos), u16_at(b, pos + 4)));
        pos += 8;
    }
    folders
}

fn file_table(r: &mut Regions, b: &[u8], mut pos: usize, n: usize) {
    for i in 0..n {
        let end = pos + 16 + b[pos + 16..].iter().position(|&c| c == 0).expect("NUL");
        let member = String::from_utf8_lossy(&b[pos + 16..end]).into_owned();
        for &(at, len, name) in FILE_FIELDS {
            r.field(
                pos + at,
                len,
                &format!("CFFILE.{name}"),
                format!("CFFILE[{i}].{name} ({member})"),
            );
        }
        r.field(
            pos + 16,
            end + 1 - (pos + 16),
            "CFFILE.szName",
            format!("CFFILE[{i}].szName ({member})"),
        );
        pos = end + 1;
    }
}

fn data_blocks(r: &mut Regions, b: &[u8], folder: usize, mut pos: usize, n: usize) {
    for k in 0..n {
        for (at, len, name) in [(0, 4, "csum"), (4, 2, "cbData"), (6, 2, "cbUncomp")] {
            r.field(
                pos + at,
                len,
                &format!("CFDATA.{name}"),
                format!("CFDATA[{folder}.{k}].{name}"),
            );
        }
        let cb = u16_at(b, pos + 4);
        r.bulk(
            pos + 8,
            pos + 8 + cb,
            "CFDATA payload",
            format!("CFDATA[{folder}.{k}] payload"),
        );
        pos += 8 + cb;
    }
}

/// The PKCS#7 blob: every DER header (structural) and primitive content,
/// named by the part of SignedData it is in, then whatever pads the area to
/// its declared length.
fn signature(r: &mut Regions, b: &[u8], start: usize, end: usize) {
    let der_end = der(r, b, start, end, &[]);
    r.bulk(
        der_end,
        end,
        "signature padding",
        "signature padding".into(),
    );
}

/// The part of the PKCS#7 ContentInfo an element is in, from the (tag,
/// index among its siblings) of it and its ancestors, outermost first.
fn section(path: &[(u8, usize)]) -> String {
    let signed_data = match path.get(3) {
        None => {
            return match path {
                [_] => "ContentInfo",
                [_, (_, 0)] => "ContentInfo.contentType",
                [_, _] => "ContentInfo.content",
                _ => "SignedData",
            }
            .to_string()
        }
        Some((0x02, 0)) => "version",
        Some((_, 1)) => "digestAlgorithms",
        Some((_, 2)) => "contentInfo",
        Some((0xA0, _)) => "certificates",
        Some((0xA1, _)) => "crls",
        Some(_) => "signerInfos",
    };
    let signer_info = match (signed_data, path.get(5)) {
        ("signerInfos", Some((tag, i))) => match (tag, i) {
            (0x02, 0) => "version",
            (_, 1) => "sid",
            (_, 2) => "digestAlgorithm",
            (0xA0, _) => "signedAttrs",
            (0x04, _) => "signature",
            (0xA1, _) => "unsignedAttrs",
            _ => "signatureAlgorithm",
        },
        _ => return format!("SignedData.{signed_data}"),
    };
    format!("SignerInfo.{signer_info}")
}

/// Walks the DER elements in `[pos, end)` under `parent` (tags and
/// sibling indices); returns where the last one ends.
fn der(r: &mut Regions, b: &[u8], mut pos: usize, end: usize, parent: &[(u8, usize)]) -> usize {
    let mut index = 0;
    while pos + 2 <= end {
        let tag = b[pos];
        if parent.is_empty() && tag == 0 {
            break; // padding after the ContentInfo
        }
        let (hl, len) = match b[pos + 1] {
            n @ 0..=0x7F => (2, usize::from(n)),
            0x81 => (3, usize::from(b[pos + 2])),
            0x82 => (4, usize::from(b[pos + 2]) << 8 | usize::from(b[pos + 3])),
            n => panic!("DER length form {n:#x} at {pos}"),
        };
        let mut path = parent.to_vec();
        path.push((tag, index));
        let part = section(&path);
        let depth = parent.len();
        r.field(
            pos,
            hl,
            &format!("PKCS#7 DER header in {part}"),
            format!("PKCS#7 DER header, tag {tag:#04x}, depth {depth}, at {pos}, in {part}"),
        );
        let content = pos + hl;
        if tag & 0x20 != 0 {
            der(r, b, content, content + len, &path);
        } else {
            r.bulk(
                content,
                content + len,
                &format!("PKCS#7 DER content in {part}"),
                format!("PKCS#7 DER content, tag {tag:#04x}, at {content}, in {part}"),
            );
        }
        pos = content + len;
        index += 1;
        if parent.is_empty() {
            break; // one ContentInfo
        }
    }
    pos
}

/// The region holding byte `at` (or the class "past the end").
pub fn class_at(regions: &[Region], at: usize) -> (&str, String) {
    match regions.iter().rev().find(|r| r.start <= at && at < r.end) {
        Some(r) => (&r.class, r.name.clone()),
        None => ("between regions", format!("byte {at}")),
    }
}

/// How many of each kind of mutant to make.
pub struct Plan {
    pub seed: u64,
    /// Bits flipped in every byte of every structural region (0xFF: all).
    pub structural_bits: u8,
    /// Bits flipped in every DER header byte (a separate mask: there are many).
    pub der_bits: u8,
    pub random_flips: usize,
    pub random_truncations: usize,
    pub random_inserts: usize,
}

/// Every mutant of `orig` that `plan` asks for, in a fixed order.
pub fn mutants(orig: &[u8], regions: &[Region], plan: &Plan) -> Vec<Mutant> {
    let mut rng = Rng::new(plan.seed);
    let mut out = Vec::new();
    structural(orig, regions, plan, &mut out);
    random_flips(orig, regions, plan.random_flips, &mut rng, &mut out);
    truncations(orig, regions, plan.random_truncations, &mut rng, &mut out);
    appends(orig, &mut rng, &mut out);
    inserts(orig, regions, plan.random_inserts, &mut rng, &mut out);
    out
}

fn structural(orig: &[u8], regions: &[Region], plan: &Plan, out: &mut Vec<Mutant>) {
    for r in regions.iter().filter(|r| r.structural) {
        let mask = if r.class.starts_with("PKCS#7 DER header") {
            plan.der_bits
        } else {
            plan.structural_bits
        };
        for at in r.start..r.end {
            for bit in (0..8).filter(|bit| mask & (1 << bit) != 0) {
                let mut m = orig.to_vec();
                m[at] ^= 1 << bit;
                out.push(Mutant {
                    class: format!("flip {}", r.class),
                    what: format!("flip bit {bit} of byte {at} ({})", r.name),
                    bytes: m,
                });
            }
        }
        // Whole fields zeroed and saturated (DER headers and names are
        // covered by the flips).
        if r.class.starts_with("CF") && r.class != "CFFILE.szName" {
            for (fill, how) in [(0x00, "zero"), (0xFF, "saturate")] {
                let mut m = orig.to_vec();
                m[r.start..r.end].fill(fill);
                if m != orig {
                    out.push(Mutant {
                        class: format!("{how} {}", r.class),
                        what: format!("{how} {} (bytes {}..{})", r.name, r.start, r.end),
                        bytes: m,
                    });
                }
            }
        }
    }
}

fn random_flips(orig: &[u8], regions: &[Region], n: usize, rng: &mut Rng, out: &mut Vec<Mutant>) {
    for _ in 0..n {
        let at = rng.below(orig.len());
        let bit = rng.below(8);
        let mut m = orig.to_vec();
        m[at] ^= 1 << bit;
        let (class, name) = class_at(regions, at);
        out.push(Mutant {
            class: format!("random flip in {class}"),
            what: format!("flip bit {bit} of byte {at} ({name})"),
            bytes: m,
        });
    }
}

fn truncations(orig: &[u8], regions: &[Region], n: usize, rng: &mut Rng, out: &mut Vec<Mutant>) {
    let mut cuts: Vec<usize> = vec![0, 1, 4, 35, 36, orig.len() - 1];
    // Right at and just past every region's start.
    for r in regions {
        cuts.extend([r.start, r.start + 1]);
    }
    cuts.extend((0..n).map(|_| rng.below(orig.len())));
    cuts.sort_unstable();
    cuts.dedup();
    for cut in cuts.into_iter().filter(|&c| c < orig.len()) {
        let (class, name) = class_at(regions, cut);
        out.push(Mutant {
            class: format!("truncate in {class}"),
            what: format!("truncate to {cut} bytes (cut in {name})"),
            bytes: orig[..cut].to_vec(),
        });
    }
}

fn appends(orig: &[u8], rng: &mut Rng, out: &mut Vec<Mutant>) {
    for len in [1usize, 2, 3, 4, 7, 8, 9, 16, 100, 512, 4096] {
        let random = rng.bytes(len);
        let contents: [(&str, Vec<u8>); 3] = [
            ("zeros", vec![0; len]),
            ("0xFF", vec![0xFF; len]),
            ("random", random),
        ];
        for (what, tail) in contents {
            let mut m = orig.to_vec();
            m.extend_from_slice(&tail);
            out.push(Mutant {
                class: "append".into(),
                what: format!("append {len} bytes of {what}"),
                bytes: m,
            });
        }
    }
    // The file's own beginning, and the whole file again.
    for len in [60, orig.len()] {
        let mut m = orig.to_vec();
        m.extend_from_slice(&orig[..len]);
        out.push(Mutant {
            class: "append".into(),
            what: format!("append the file's first {len} bytes"),
            bytes: m,
        });
    }
}

fn inserts(orig: &[u8], regions: &[Region], n: usize, rng: &mut Rng, out: &mut Vec<Mutant>) {
    // At every region's start, then at random places.
    let mut places: Vec<usize> = regions.iter().map(|r| r.start).collect();
    places.dedup();
    places.extend((0..n).map(|_| rng.below(orig.len())));
    for at in places {
        let len = [1, 2, 4, 8, 13][rng.below(5)];
        let ins = if rng.below(2) == 0 {
            vec![0; len]
        } else {
            rng.bytes(len)
        };
        let mut m = orig[..at].to_vec();
        m.extend_from_slice(&ins);
        m.extend_from_slice(&orig[at..]);
        let (class, name) = class_at(regions, at);
        out.push(Mutant {
            class: format!("insert in {class}"),
            what: format!("insert {len} bytes at {at} ({name})"),
            bytes: m,
        });
    }
}
