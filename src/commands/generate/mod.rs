//! The catalog generator: realistic wsusscn2-shaped cabinets from a seed.
//!
//! No real catalog can be committed or downloaded here, and a test is only as
//! good as its fixture, so the generator reproduces the 2026 catalog's shape
//! (see `../shared/wsusscn2-format.md`): the nesting, the mix of bundles,
//! bundled children and categories, supersedence with dangling references,
//! FileLocations, shards of `c\`, `x\` and `l\en\` fragments with correct
//! RANGESTARTs, and LZX or MSZIP at every level. It also returns the ground
//! truth, so tests compare wsuscat's answers with what was written rather
//! than with numbers copied from a previous run.

pub mod fixtures;
pub mod model;
pub mod mutate;
pub mod rng;
pub mod xml;

use crate::cab::writer::CabBuilder;
use crate::cab::Compression;
use crate::catalog::update::Kind;
use model::Truth;
use rng::Rng;
pub use xml::XmlStyle;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Seed of the [`Rng`]: the same spec and seed give the same bytes on
    /// every platform.
    pub seed: u64,
    /// Number of `<Update>` elements.
    pub updates: usize,
    /// Number of shards (`package2.cab` …); 0 picks one per 1,800 updates.
    pub shards: usize,
    /// Compression of the outer cabinet's folders.
    pub outer: Compression,
    /// Compression of package.cab and the shards.
    pub inner: Compression,
    /// Put package.cab last in the outer cabinet instead of after index.xml.
    pub package_cab_last: bool,
    /// Number of folders in the outer cabinet (members are split evenly).
    pub outer_folders: usize,
    /// DeploymentAction values forced at RevisionIds (`None` removes the
    /// attribute).
    pub inject: Vec<(u32, Option<String>)>,
    /// How package.xml is laid out (namespace, pretty-printing, BOM,
    /// attribute order).
    pub style: XmlStyle,
    /// The root's `CreationDate` attribute (`2026-05-12T08:51:08Z`).
    pub creation_date: String,
    /// RANGESTART of the first shard (real catalogs say 0). A higher value
    /// leaves the revisions below it in no shard.
    pub first_range_start: u32,
    /// Shards index.xml lists but the outer cabinet leaves out.
    pub omit_shards: Vec<String>,
    /// RevisionIds start just above this: 0 gives the small ones of the
    /// 2026 catalog (its first shard covers 0-626), 43,000,000 those of
    /// 2025; the default is [`model::DEFAULT_REVISION_BASE`].
    pub revision_base: u32,
    /// Languages of the `l\<lang>\` fragments (the 2026 catalog has 37):
    /// every update has an English one, and each bundle one in each other
    /// language listed here.
    pub languages: Vec<String>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            seed: 1,
            updates: 300,
            shards: 0,
            outer: Compression::Lzx { window_bits: 21 },
            inner: Compression::Lzx { window_bits: 21 },
            package_cab_last: false,
            outer_folders: 1,
            inject: Vec::new(),
            style: XmlStyle::default(),
            creation_date: "2026-05-12T08:51:08Z".to_string(),
            first_range_start: 0,
            omit_shards: Vec::new(),
            revision_base: model::DEFAULT_REVISION_BASE,
            languages: vec!["en".to_string()],
        }
    }
}

/// A generated catalog and what is in it.
pub struct Generated {
    /// The outer cabinet's bytes (unsigned).
    pub cab: Vec<u8>,
    /// What was written, for tests to compare wsuscat's answers with.
    pub truth: Truth,
    /// The package.xml inside package.cab, uncompressed.
    pub package_xml: Vec<u8>,
    /// The index.xml in the outer cabinet.
    pub index_xml: Vec<u8>,
}

/// Builds a single-file cabinet.
pub fn single_member_cab(name: &str, data: &[u8], compression: Compression) -> Vec<u8> {
    let mut b = CabBuilder::new();
    b.add_folder(compression).add_file(name, data);
    b.finish()
}

/// index.xml for the given shards.
pub fn index_xml(shards: &[(String, u32)]) -> Vec<u8> {
    let mut s =
        String::from("<INDEX VERSION=\"1\"><CABLIST XOR=\"0\"><CAB NAME=\"package.cab\" />");
    for (i, (name, start)) in shards.iter().enumerate() {
        let filesdir = if i == 0 { " FILESDIR=\"1\"" } else { "" };
        s.push_str(&format!(
            "<CAB NAME=\"{name}\" RANGESTART=\"{start}\"{filesdir} />"
        ));
    }
    s.push_str("</CABLIST></INDEX>");
    s.into_bytes()
}

/// Lays out the outer cabinet from its members.
pub fn assemble(
    spec: &Spec,
    index: &[u8],
    package_cab: &[u8],
    shards: &[(String, Vec<u8>)],
) -> Vec<u8> {
    let mut members: Vec<(&str, &[u8])> = vec![("index.xml", index)];
    if !spec.package_cab_last {
        members.push(("package.cab", package_cab));
    }
    for (name, bytes) in shards {
        members.push((name, bytes));
    }
    if spec.package_cab_last {
        members.push(("package.cab", package_cab));
    }
    let folders = spec.outer_folders.clamp(1, members.len());
    let per_folder = members.len().div_ceil(folders);
    let mut b = CabBuilder::new();
    for (i, (name, bytes)) in members.iter().enumerate() {
        if i % per_folder == 0 {
            b.add_folder(spec.outer);
        }
        b.add_file(name, bytes);
    }
    b.finish()
}

/// Generates a catalog.
pub fn generate(spec: &Spec) -> Generated {
    let mut rng = Rng::new(spec.seed);
    let inject_revs: Vec<u32> = spec.inject.iter().map(|(r, _)| *r).collect();
    let mut truth = model::build_from(
        &mut rng,
        spec.updates,
        &inject_revs,
        &spec.creation_date,
        spec.revision_base,
    );
    for (rev, action) in &spec.inject {
        if let Ok(i) = truth.updates.binary_search_by_key(rev, |u| u.revision_id) {
            truth.updates[i].deployment_action = action.clone();
        }
    }
    render(spec, truth, &mut rng)
}

/// Writes the catalog for `truth` (its shards are filled in).
pub fn render(spec: &Spec, mut truth: Truth, rng: &mut Rng) -> Generated {
    truth.shards.clear();
    let package_xml = xml::package_xml(&truth, rng, &spec.style);
    truth.package_xml_len = package_xml.len() as u64;
    let package_cab = single_member_cab("package.xml", &package_xml, spec.inner);

    let shard_count = if spec.shards == 0 {
        truth.updates.len().div_ceil(1800).max(1)
    } else {
        spec.shards
    }
    .min(truth.updates.len().max(1));
    let per_shard = truth.updates.len().div_ceil(shard_count).max(1);
    // Each bundle's children, for its `c\` fragment's BundledUpdates; and
    // each child's bundle's KB, which names its files.
    let mut children: std::collections::HashMap<u32, Vec<&model::TruthUpdate>> =
        std::collections::HashMap::new();
    for u in &truth.updates {
        if let Some(b) = u.bundled_by {
            children.entry(b).or_default().push(u);
        }
    }
    let kb_of = |u: &model::TruthUpdate| {
        u.kb.or_else(|| u.bundled_by.and_then(|b| truth.by_revision(b)?.kb))
    };
    let mut shards = Vec::new();
    let mut shard_list = Vec::new();
    for (k, chunk) in truth.updates.chunks(per_shard).enumerate() {
        let name = format!("package{}.cab", k + 2);
        let start = if k == 0 {
            spec.first_range_start
        } else {
            chunk[0].revision_id
        };
        let mut b = CabBuilder::new();
        b.add_folder(spec.inner);
        for u in chunk {
            let kids = children.get(&u.revision_id).map_or(&[][..], Vec::as_slice);
            b.add_file(
                &format!("c\\{}", u.revision_id),
                xml::core_fragment(u, kids).as_bytes(),
            );
            b.add_file(
                &format!("x\\{}", u.revision_id),
                xml::extended_fragment(u, kb_of(u)).as_bytes(),
            );
            let others = spec.languages.iter().filter(|l| *l != "en");
            for lang in std::iter::once("en").chain(others.map(String::as_str)) {
                if lang == "en" || u.kind == Kind::Bundle {
                    b.add_file(
                        &format!("l\\{lang}\\{}", u.revision_id),
                        xml::localized_fragment(u, lang).as_bytes(),
                    );
                }
            }
            // A few bundles have a EULA: an `e\<lang>\` fragment. What real
            // ones hold has not been seen in a public source; wsuscat only
            // shows them, so any well-formed content does.
            if u.kind == Kind::Bundle && u.revision_id % 16 == 0 {
                b.add_file(
                    &format!("e\\en\\{}", u.revision_id),
                    b"<EulaProperties><Language>en</Language></EulaProperties>",
                );
            }
        }
        if k == 0 {
            b.add_file(
                "files\\eula-en.txt",
                &utf16le("Microsoft Software License Terms (generated sample)."),
            );
        }
        shard_list.push((name.clone(), start));
        if !spec.omit_shards.contains(&name) {
            shards.push((name, b.finish()));
        }
    }
    truth.shards = shard_list;
    let index = index_xml(&truth.shards);
    let cab = assemble(spec, &index, &package_cab, &shards);
    Generated {
        cab,
        truth,
        package_xml,
        index_xml: index,
    }
}

/// A catalog whose package.xml is exactly `package_xml` (for parser tests
/// that hand-write XML). It has index.xml and one tiny shard.
pub fn catalog_from_package_xml(package_xml: &[u8], compression: Compression) -> Vec<u8> {
    let spec = Spec {
        outer: compression,
        inner: compression,
        ..Spec::default()
    };
    let package_cab = single_member_cab("package.xml", package_xml, compression);
    let shards = vec![(
        "package2.cab".to_string(),
        single_member_cab(
            "c\\1",
            b"<UpdateIdentity UpdateID=\"x\" RevisionNumber=\"1\" />",
            compression,
        ),
    )];
    let index = index_xml(&[("package2.cab".to_string(), 0)]);
    assemble(&spec, &index, &package_cab, &shards)
}

fn utf16le(s: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}
