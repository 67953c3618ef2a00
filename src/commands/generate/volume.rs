//! The catalog at real volume: `wsuscat generate --volume real`.
//!
//! The small catalogs the tests use hide what costs time on the file users
//! have: 658 MB to hash, an outer folder of 600+ MB to decode up to the last
//! shard, and shards whose fragments hold about 214 MB of XML each. This
//! writes that shape (`../shared/wsusscn2-format.md`, the 2026 figures): about
//! 137k updates, 74 shards, `c\`, `x\`, `l\` in 37 languages, `e\`, `i\` and
//! `files\`, LZX:21 inside and out.
//!
//! Where the bytes are. Real shards average about 17 KB per member, far
//! more than a title and a KB number: the bulk is applicability rules in
//! `c\` (file-version and registry tests, hundreds per cumulative update)
//! and the file lists of `x\` (14-19 `<File>` entries with digests). Real
//! catalogs compress about 25:1, because consecutive revisions repeat most
//! of their rules; the generator does the same (each installable's rules
//! are its predecessor's with a share redrawn), so its shards decode at
//! the speed real ones do, not at the speed of random text or of one
//! string repeated.
//!
//! How it stays fast and small. Shards are independent, so they are
//! written on `threads` workers, each taking the next shard in order; the
//! outer cabinet is compressed on the calling thread as they arrive, in
//! order, with at most `threads` finished shards waiting. A shard is built
//! from its fragments as they are made (only its compressed bytes, about
//! 9 MB, are kept). What the generator holds: the model (about 100 MB at
//! 137k updates), package.xml while package.cab is made (about 115 MB), the
//! shards waiting, and the outer cabinet's compressed blocks until the
//! header can be written (about 650 MB). Those are set by the options, not
//! by any input file.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use sha2::{Digest, Sha256};

use super::model::{Truth, TruthUpdate};
use super::rng::Rng;
use super::{index_xml, single_member_cab, xml, Spec};
use crate::cab::writer::CabBuilder;
use crate::catalog::update::Kind;

/// The 37 languages of the 2026 catalog's `l\` folder.
pub const LANGUAGES: [&str; 37] = [
    "en", "ar", "bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "he", "hr", "hu", "it", "ja",
    "ko", "lt", "lv", "nb", "nl", "pl", "pt", "pt-br", "ro", "ru", "sk", "sl", "sr", "sv", "th",
    "tr", "uk", "zh-cn", "zh-hk", "zh-tw", "hi",
];

/// The 2026 catalog's figures (2026-07-14: 658,155,174 bytes, 74 shards,
/// 137,091 updates; a shard about 12.5k members and 214 MB of XML).
pub mod real_2026 {
    /// Size of the outer cabinet in bytes.
    pub const OUTER_BYTES: u64 = 658_155_174;
    /// Updates in package.xml.
    pub const UPDATES: usize = 137_091;
    /// Shards (`package2.cab` … `package75.cab`).
    pub const SHARDS: usize = 74;
    /// package.cab, about 15 MB.
    pub const PACKAGE_CAB_BYTES: u64 = 15_000_000;
    /// package.xml, about 114-115 MB.
    pub const PACKAGE_XML_BYTES: u64 = 115_000_000;
    /// Fragments of one shard, uncompressed: about 214 MB.
    pub const SHARD_XML_BYTES: u64 = 214_000_000;
    /// Members of one shard: about 12.5k.
    pub const SHARD_MEMBERS: u64 = 12_500;
}

/// How much a real-volume catalog puts in its fragments.
#[derive(Debug, Clone, Copy)]
pub struct Bulk {
    /// Average bytes of applicability rules in an installable's `c\`
    /// fragment.
    pub rules_bytes: usize,
    /// Of each installable's rules, the share (in 1/1000) drawn afresh
    /// rather than kept from the previous installable's.
    pub fresh_per_mille: u32,
    /// Bundles with an `l\` fragment in every language (in 1/1000); the
    /// others have English only.
    pub all_languages_per_mille: u32,
}

impl Bulk {
    /// The figures that give a real shard's size and ratio (calibrated
    /// against `real_2026`; see docs/benchmarks.md).
    pub const REAL: Bulk = Bulk {
        rules_bytes: 135_000,
        fresh_per_mille: 85,
        all_languages_per_mille: 667,
    };
}

/// What was written, beside the 2026 figures.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Bytes of the outer cabinet.
    pub outer_bytes: u64,
    /// Updates in package.xml.
    pub updates: usize,
    /// Bytes of package.cab.
    pub package_cab_bytes: u64,
    /// Bytes of package.xml.
    pub package_xml_bytes: u64,
    /// Each shard: name, compressed bytes, uncompressed bytes, members.
    pub shards: Vec<ShardSummary>,
    /// SHA-256 of index.xml and of package.cab, lower-case hex.
    pub index_sha256: String,
    /// SHA-256 of package.cab.
    pub package_cab_sha256: String,
}

impl Summary {
    /// The sizes beside the 2026 catalog's, one line each.
    pub fn table(&self) -> String {
        let members: u64 = self.shards.iter().map(|x| x.members).sum();
        let xml: u64 = self.shards.iter().map(|x| x.uncompressed).sum();
        let compressed: u64 = self.shards.iter().map(|x| x.compressed).sum();
        let n = self.shards.len().max(1) as u64;
        let mb = |b: u64| format!("{:.1}", b as f64 / 1e6);
        let rows = [
            ("", "generated".to_string(), "2026 catalog".to_string()),
            (
                "outer cabinet, bytes",
                self.outer_bytes.to_string(),
                real_2026::OUTER_BYTES.to_string(),
            ),
            (
                "updates",
                self.updates.to_string(),
                real_2026::UPDATES.to_string(),
            ),
            (
                "package.cab, MB",
                mb(self.package_cab_bytes),
                mb(real_2026::PACKAGE_CAB_BYTES),
            ),
            (
                "package.xml, MB",
                mb(self.package_xml_bytes),
                mb(real_2026::PACKAGE_XML_BYTES),
            ),
            (
                "shards",
                self.shards.len().to_string(),
                real_2026::SHARDS.to_string(),
            ),
            (
                "XML per shard, MB",
                mb(xml / n),
                mb(real_2026::SHARD_XML_BYTES),
            ),
            (
                "fragments in all, GB",
                format!("{:.1}", xml as f64 / 1e9),
                "15-25".to_string(),
            ),
            (
                "members per shard",
                (members / n).to_string(),
                real_2026::SHARD_MEMBERS.to_string(),
            ),
            (
                "shards compressed, MB",
                mb(compressed),
                "about 643".to_string(),
            ),
        ];
        rows.iter()
            .map(|(what, ours, real)| format!("{what:<26}{ours:>14}{real:>16}\n"))
            .collect()
    }

    /// What was written, for a peer to check its extraction against: one
    /// `SHA-256  NAME` line per outer member (`sha256sum -c` reads them),
    /// then one per shard for its members' bytes in order, named
    /// `NAME/*` (compare `cabextract -p NAME | sha256sum`).
    pub fn manifest(&self) -> String {
        let mut s = format!(
            "{}  index.xml\n{}  package.cab\n",
            self.index_sha256, self.package_cab_sha256
        );
        for x in &self.shards {
            s.push_str(&format!("{}  {}\n", x.sha256, x.name));
        }
        for x in &self.shards {
            s.push_str(&format!("{}  {}/*\n", x.members_sha256, x.name));
        }
        s
    }
}

/// One shard as written.
#[derive(Debug, Clone, Default)]
pub struct ShardSummary {
    /// `package2.cab` …
    pub name: String,
    /// Its RANGESTART.
    pub range_start: u32,
    /// The shard cabinet's size.
    pub compressed: u64,
    /// Its members' bytes together.
    pub uncompressed: u64,
    /// Its members.
    pub members: u64,
    /// SHA-256 of the shard cabinet, lower-case hex.
    pub sha256: String,
    /// SHA-256 of its members' bytes one after the other, in the cabinet's
    /// order (what `cabextract -p` prints), lower-case hex.
    pub members_sha256: String,
}

/// Writes the shards' members; shared by [`super::render`] (no bulk) and
/// the real volume.
pub(super) struct ShardMaker<'t> {
    spec: &'t Spec,
    truth: &'t Truth,
    children: HashMap<u32, Vec<&'t TruthUpdate>>,
    bulk: Option<Bulk>,
}

impl<'t> ShardMaker<'t> {
    pub(super) fn new(spec: &'t Spec, truth: &'t Truth, bulk: Option<Bulk>) -> ShardMaker<'t> {
        // Each bundle's children, for its `c\` fragment's BundledUpdates.
        let mut children: HashMap<u32, Vec<&TruthUpdate>> = HashMap::new();
        for u in &truth.updates {
            if let Some(b) = u.bundled_by {
                children.entry(b).or_default().push(u);
            }
        }
        ShardMaker {
            spec,
            truth,
            children,
            bulk,
        }
    }

    /// How many shards, and updates per shard.
    pub(super) fn layout(spec: &Spec, updates: usize) -> (usize, usize) {
        let count = if spec.shards == 0 {
            updates.div_ceil(1800).max(1)
        } else {
            spec.shards
        }
        .min(updates.max(1));
        (count, updates.div_ceil(count).max(1))
    }

    /// Shard `k` (`package{k+2}.cab`) of `chunk`: its name, RANGESTART and
    /// cabinet.
    pub(super) fn shard(&self, k: usize, chunk: &[TruthUpdate]) -> (ShardSummary, Vec<u8>) {
        let spec = self.spec;
        let name = format!("package{}.cab", k + 2);
        let start = if k == 0 {
            spec.first_range_start
        } else {
            chunk.first().map_or(0, |u| u.revision_id)
        };
        // Each child's bundle's KB, which names its files.
        let kb_of = |u: &TruthUpdate| {
            u.kb.or_else(|| u.bundled_by.and_then(|b| self.truth.by_revision(b)?.kb))
        };
        let mut summary = ShardSummary {
            name: name.clone(),
            range_start: start,
            ..ShardSummary::default()
        };
        let mut b = CabBuilder::new();
        b.add_folder(spec.inner);
        let mut contents = Sha256::new();
        let mut add = |b: &mut CabBuilder, member: String, data: &[u8]| {
            summary.members += 1;
            summary.uncompressed += data.len() as u64;
            if self.bulk.is_some() {
                contents.update(data);
            }
            b.add_file(&member, data);
        };
        let mut rules = self
            .bulk
            .map(|bulk| Rules::new(spec.seed ^ ((k as u64 + 1) << 32), bulk));
        for u in chunk {
            let kids = self
                .children
                .get(&u.revision_id)
                .map_or(&[][..], Vec::as_slice);
            let mut core = xml::core_fragment(u, kids);
            let mut extended = xml::extended_fragment(u, kb_of(u));
            if let Some(r) = rules.as_mut() {
                if matches!(u.kind, Kind::Child | Kind::Other) {
                    core = r.with_rules(&core);
                    extended = r.with_files(&extended, kb_of(u));
                }
            }
            add(&mut b, format!("c\\{}", u.revision_id), core.as_bytes());
            add(&mut b, format!("x\\{}", u.revision_id), extended.as_bytes());
            let every_language = match self.bulk {
                Some(bulk) => {
                    u.kind == Kind::Bundle
                        && spread(u.revision_id) % 1000 < bulk.all_languages_per_mille
                }
                None => u.kind == Kind::Bundle,
            };
            let others = spec.languages.iter().filter(|l| *l != "en");
            for lang in std::iter::once("en").chain(others.map(String::as_str)) {
                if lang == "en" || every_language {
                    add(
                        &mut b,
                        format!("l\\{lang}\\{}", u.revision_id),
                        xml::localized_fragment(u, lang).as_bytes(),
                    );
                }
            }
            // A few bundles have a EULA: an `e\<lang>\` fragment. What real
            // ones hold has not been seen in a public source; wsuscat only
            // shows them, so any well-formed content does.
            if u.kind == Kind::Bundle && u.revision_id % 16 == 0 {
                add(
                    &mut b,
                    format!("e\\en\\{}", u.revision_id),
                    b"<EulaProperties><Language>en</Language></EulaProperties>",
                );
            }
            // Real shards also hold an `i\` folder, whose content no public
            // source shows; wsuscat does not read it, verify decodes it.
            if self.bulk.is_some() && u.kind == Kind::Bundle {
                add(
                    &mut b,
                    format!("i\\{}", u.revision_id),
                    format!(
                        "<InstallationInformation UpdateID=\"{}\" RevisionNumber=\"{}\" />",
                        u.update_id, u.revision_number
                    )
                    .as_bytes(),
                );
            }
        }
        if k == 0 {
            add(
                &mut b,
                "files\\eula-en.txt".to_string(),
                &super::utf16le("Microsoft Software License Terms (generated sample)."),
            );
        }
        let bytes = b.finish();
        summary.compressed = bytes.len() as u64;
        if self.bulk.is_some() {
            summary.members_sha256 = crate::trust::hex(&contents.finalize());
            summary.sha256 = crate::trust::hex(&Sha256::digest(&bytes));
        }
        (summary, bytes)
    }
}

/// A well-mixed number from a RevisionId, for choices that must not follow
/// its low bits.
fn spread(rev: u32) -> u32 {
    let x = u64::from(rev).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 40) as u32
}

/// One applicability rule: which file, which version.
#[derive(Debug, Clone, Copy)]
struct Rule {
    file: u16,
    build: u16,
    revision: u16,
    registry: bool,
}

/// The bulk of installables' fragments, drawn per shard.
struct Rules {
    rng: Rng,
    bulk: Bulk,
    previous: Vec<Rule>,
}

const FILE_HEADS: [&str; 24] = [
    "ntos", "win", "ms", "cbs", "dx", "wu", "crypt", "shell", "net", "print", "audio", "kernel",
    "user", "gdi", "rpc", "lsa", "sec", "wmi", "hal", "tcpip", "bcrypt", "edge", "mscore", "clr",
];
const FILE_BODIES: [&str; 12] = [
    "core", "svc", "api", "host", "base", "mgr", "util", "ui", "ext", "prov", "srv", "cli",
];
const FILE_TAILS: [&str; 6] = [".dll", "32.dll", ".sys", ".exe", "64.dll", "res.dll"];

impl Rules {
    fn new(seed: u64, bulk: Bulk) -> Rules {
        Rules {
            rng: Rng::new(seed),
            bulk,
            previous: Vec::new(),
        }
    }

    fn fresh(&mut self) -> Rule {
        Rule {
            file: self.rng.below(FILE_HEADS.len() as u64 * 72) as u16,
            build: [19041, 19045, 22621, 22631, 26100, 20348, 17763][self.rng.below(7) as usize],
            revision: self.rng.below(7000) as u16,
            registry: self.rng.chance(0.1),
        }
    }

    /// The next installable's rules: about `rules_bytes` of them, most kept
    /// from the previous installable's.
    fn next(&mut self) -> Vec<Rule> {
        let want = self.bulk.rules_bytes / 105;
        let n = self.rng.range(want as u64 / 2, want as u64 * 3 / 2) as usize;
        let mut rules = Vec::with_capacity(n);
        for i in 0..n {
            let keep = self.previous.get(i).copied();
            match keep {
                Some(r) if self.rng.below(1000) >= u64::from(self.bulk.fresh_per_mille) => {
                    rules.push(r)
                }
                _ => rules.push(self.fresh()),
            }
        }
        self.previous.clone_from(&rules);
        rules
    }

    /// `core` with the rules inside its `<IsInstalled>`, as an `<Or>`.
    fn with_rules(&mut self, core: &str) -> String {
        let rules = self.next();
        let mut s = String::with_capacity(core.len() + rules.len() * 110);
        for r in &rules {
            let name = file_name(r.file);
            if r.registry {
                s.push_str(&format!(
                    "<b.RegDword Key=\"HKEY_LOCAL_MACHINE\" Subkey=\"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\{name}\" Value=\"UBR\" Comparison=\"GreaterThanOrEqualTo\" Data=\"{}\" />",
                    r.revision
                ));
            } else {
                s.push_str(&format!(
                    "<b.FileVersion Csidl=\"37\" Path=\"{name}\" Comparison=\"LessThan\" Version=\"10.0.{}.{}\" />",
                    r.build, r.revision
                ));
            }
        }
        match core.find("<IsInstalled>") {
            Some(at) => {
                let at = at + "<IsInstalled>".len();
                format!("{}<Or>{s}</Or>{}", &core[..at], &core[at..])
            }
            None => format!("{core}<ApplicabilityRules><IsInstalled><Or>{s}</Or></IsInstalled></ApplicabilityRules>"),
        }
    }

    /// `extended` with 14 to 19 `<File>` entries in all, as real children's
    /// carry (the payload's, then express and delta files).
    fn with_files(&mut self, extended: &str, kb: Option<u32>) -> String {
        let Some(at) = extended.find("</Files>") else {
            return extended.to_string();
        };
        let have = extended.matches("<File ").count() as u64;
        let extra = self.rng.range(14, 19).saturating_sub(have);
        let mut s = String::new();
        for _ in 0..extra {
            let sha1: [u8; 20] = self.rng.bytes();
            let sha256: [u8; 32] = self.rng.bytes();
            s.push_str(&format!(
                "<File PatchingType=\"Express\" Modified=\"2026-05-01T00:00:00Z\" Size=\"{}\" FileName=\"windows10.0-kb{}-x64_{}.psf\" DigestAlgorithm=\"SHA1\" Digest=\"{}\"><AdditionalDigest Algorithm=\"SHA256\">{}</AdditionalDigest></File>",
                self.rng.range(10_000, 900_000_000),
                kb.unwrap_or(0),
                crate::trust::hex(&sha1),
                super::rng::base64(&sha1),
                super::rng::base64(&sha256)
            ));
        }
        format!("{}{s}{}", &extended[..at], &extended[at..])
    }
}

fn file_name(i: u16) -> String {
    let i = usize::from(i);
    let head = FILE_HEADS[i % FILE_HEADS.len()];
    let body = FILE_BODIES[(i / FILE_HEADS.len()) % FILE_BODIES.len()];
    let tail = FILE_TAILS[(i / (FILE_HEADS.len() * FILE_BODIES.len())) % FILE_TAILS.len()];
    format!("{head}{body}{tail}")
}

/// Writes a real-volume catalog for `spec` (whose `languages` should be
/// [`LANGUAGES`], `shards` 74 and `updates` about 137k) into `out`, shards
/// on `threads` workers. `progress` is told each shard finished.
pub fn generate(
    spec: &Spec,
    bulk: Bulk,
    threads: usize,
    out: &mut dyn Write,
    progress: &dyn Fn(usize, usize),
) -> std::io::Result<Summary> {
    let mut rng = Rng::new(spec.seed);
    let truth = super::truth_for(spec, &mut rng);
    let package_xml = xml::package_xml(&truth, &mut rng, &spec.style);
    let package_xml_bytes = package_xml.len() as u64;
    let package_cab = single_member_cab("package.xml", &package_xml, spec.inner);
    drop(package_xml);
    let maker = ShardMaker::new(spec, &truth, Some(bulk));
    let (count, per_shard) = ShardMaker::layout(spec, truth.updates.len());
    let chunks: Vec<&[TruthUpdate]> = truth.updates.chunks(per_shard).collect();
    let ranges: Vec<(String, u32)> = chunks
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let start = if k == 0 {
                spec.first_range_start
            } else {
                c.first().map_or(0, |u| u.revision_id)
            };
            (format!("package{}.cab", k + 2), start)
        })
        .collect();
    let index = index_xml(&ranges);

    let omitted = ranges
        .iter()
        .filter(|(name, _)| spec.omit_shards.contains(name))
        .count();
    let members = 2 + chunks.len() - omitted;
    let folders = spec.outer_folders.clamp(1, members);
    let per_folder = members.div_ceil(folders);
    let mut outer = CabBuilder::new();
    // The shards are compressed already: the outer encoder would spend
    // most of its time searching for matches that are not there.
    outer.skip_misses(true);
    let mut placed = 0usize;
    let mut place = |outer: &mut CabBuilder, name: &str, bytes: &[u8]| {
        if placed % per_folder == 0 {
            outer.add_folder(spec.outer);
        }
        placed += 1;
        outer.add_file(name, bytes);
    };
    place(&mut outer, "index.xml", &index);
    if !spec.package_cab_last {
        place(&mut outer, "package.cab", &package_cab);
    }
    let threads = threads.max(1);
    let next = AtomicUsize::new(0);
    let mut shards = Vec::with_capacity(count);
    std::thread::scope(|s| {
        // At most `threads` finished shards wait for the outer encoder.
        let (tx, rx) = mpsc::sync_channel::<(usize, ShardSummary, Vec<u8>)>(threads);
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, chunks, maker) = (&next, &chunks, &maker);
            s.spawn(move || loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(k) else { break };
                let (summary, bytes) = maker.shard(k, chunk);
                if tx.send((k, summary, bytes)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut waiting = std::collections::BTreeMap::new();
        let mut due = 0usize;
        for (k, summary, bytes) in rx {
            waiting.insert(k, (summary, bytes));
            while let Some((summary, bytes)) = waiting.remove(&due) {
                if !spec.omit_shards.contains(&summary.name) {
                    place(&mut outer, &summary.name, &bytes);
                }
                shards.push(summary);
                due += 1;
                progress(due, count);
            }
        }
    });
    if spec.package_cab_last {
        place(&mut outer, "package.cab", &package_cab);
    }
    let outer_bytes = outer.finish_to(out)?;
    Ok(Summary {
        outer_bytes,
        updates: truth.updates.len(),
        package_cab_bytes: package_cab.len() as u64,
        package_xml_bytes,
        shards,
        index_sha256: crate::trust::hex(&Sha256::digest(&index)),
        package_cab_sha256: crate::trust::hex(&Sha256::digest(&package_cab)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cab::Cabinet;

    fn small() -> Spec {
        Spec {
            seed: 3,
            updates: 600,
            shards: 3,
            revision_base: 0,
            languages: ["en", "de", "ja"].map(String::from).to_vec(),
            ..Spec::default()
        }
    }

    /// Member `name` of the cabinet `bytes` (each call decodes its folder
    /// from the start: fine for a test).
    fn member(bytes: &[u8], name: &str) -> Vec<u8> {
        let cab = Cabinet::parse(&mut std::io::Cursor::new(bytes)).unwrap();
        let file = cab.find(name).unwrap().clone();
        cab.open_member(std::io::Cursor::new(bytes), &file)
            .unwrap()
            .read_all(1 << 30)
            .unwrap()
    }

    const BULK: Bulk = Bulk {
        rules_bytes: 3000,
        ..Bulk::REAL
    };

    #[test]
    fn writes_the_real_shape_and_a_manifest_that_matches_it() {
        let mut out = Vec::new();
        let summary = generate(&small(), BULK, 2, &mut out, &|_, _| {}).unwrap();
        assert_eq!(summary.outer_bytes, out.len() as u64);
        assert_eq!(summary.shards.len(), 3);
        let outer = Cabinet::parse(&mut std::io::Cursor::new(&out)).unwrap();
        let names: Vec<&str> = outer.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "index.xml",
                "package.cab",
                "package2.cab",
                "package3.cab",
                "package4.cab"
            ]
        );
        // Each shard as the manifest says, and its members as counted.
        for (shard, name) in summary.shards.iter().zip(&names[2..]) {
            let bytes = member(&out, name);
            assert_eq!(crate::trust::hex(&Sha256::digest(&bytes)), shard.sha256);
            let inner = Cabinet::parse(&mut std::io::Cursor::new(&bytes)).unwrap();
            assert_eq!(inner.files.len() as u64, shard.members);
            let mut all = Sha256::new();
            let mut kinds = std::collections::BTreeSet::new();
            for f in &inner.files {
                all.update(member(&bytes, &f.name));
                kinds.insert(f.name.split('\\').next().unwrap().to_string());
            }
            assert_eq!(crate::trust::hex(&all.finalize()), shard.members_sha256);
            assert!(
                kinds.contains("c") && kinds.contains("x") && kinds.contains("l"),
                "{kinds:?}"
            );
        }
        assert!(summary.manifest().lines().count() == 2 + 2 * 3);
        // Same seed, same bytes, whatever the threads.
        let mut again = Vec::new();
        generate(&small(), BULK, 1, &mut again, &|_, _| {}).unwrap();
        assert!(again == out, "one thread and two write the same catalog");
    }

    #[test]
    fn installables_carry_rules_and_files_and_bundles_an_i_member() {
        let spec = small();
        let mut rng = Rng::new(spec.seed);
        let truth = super::super::truth_for(&spec, &mut rng);
        let maker = ShardMaker::new(&spec, &truth, Some(BULK));
        let (summary, bytes) = maker.shard(0, &truth.updates[..200]);
        let inner = Cabinet::parse(&mut std::io::Cursor::new(&bytes)).unwrap();
        let child = truth.updates[..200]
            .iter()
            .find(|u| u.kind == Kind::Child)
            .unwrap();
        let core = member(&bytes, &format!("c\\{}", child.revision_id));
        let core = String::from_utf8(core).unwrap();
        assert!(core.matches("<b.FileVersion").count() + core.matches("<b.RegDword").count() > 10);
        let extended = member(&bytes, &format!("x\\{}", child.revision_id));
        let files = String::from_utf8(extended)
            .unwrap()
            .matches("<File ")
            .count();
        assert!((14..=19).contains(&files), "{files} files");
        assert!(inner.files.iter().any(|f| f.name.starts_with("i\\")));
        // The fragments parse as wsuscat reads them.
        crate::catalog::fragment::parse(
            &crate::catalog::fragment::FragmentKind::Core,
            core.as_bytes(),
        )
        .unwrap();
        assert!(
            summary.uncompressed > 5 * summary.compressed,
            "it compresses as real shards do"
        );
    }
}
