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
pub mod volume;
pub mod xml;

use crate::cab::writer::CabBuilder;
use crate::cab::Compression;
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
    let truth = truth_for(spec, &mut rng);
    render(spec, truth, &mut rng)
}

/// The ground truth `spec` asks for, injections applied.
fn truth_for(spec: &Spec, rng: &mut Rng) -> Truth {
    let inject_revs: Vec<u32> = spec.inject.iter().map(|(r, _)| *r).collect();
    let mut truth = model::build_from(
        rng,
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
    truth
}

/// Writes the catalog for `truth` (its shards are filled in).
pub fn render(spec: &Spec, mut truth: Truth, rng: &mut Rng) -> Generated {
    truth.shards.clear();
    let package_xml = xml::package_xml(&truth, rng, &spec.style);
    truth.package_xml_len = package_xml.len() as u64;
    let package_cab = single_member_cab("package.xml", &package_xml, spec.inner);

    let (_, per_shard) = volume::ShardMaker::layout(spec, truth.updates.len());
    let mut shards = Vec::new();
    let mut shard_list = Vec::new();
    {
        let maker = volume::ShardMaker::new(spec, &truth, None);
        for (k, chunk) in truth.updates.chunks(per_shard).enumerate() {
            let (summary, bytes) = maker.shard(k, chunk);
            shard_list.push((summary.name.clone(), summary.range_start));
            if !spec.omit_shards.contains(&summary.name) {
                shards.push((summary.name, bytes));
            }
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

pub(super) fn utf16le(s: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}
