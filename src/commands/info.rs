//! `info`: what a catalog holds, counted.
//!
//! Everything but names comes from package.xml and the cabinet headers. The
//! product and classification names are the category updates' own titles,
//! which live in the shards; they are read (one pass, usually one shard,
//! since categories are the oldest revisions) unless the caller says not to.

use std::collections::HashSet;
use std::path::Path;

use serde::Serialize;

use crate::catalog::inventory::{self, Census, Keep, Supersedence};
use crate::catalog::names;
use crate::catalog::package::scan::ScanOptions;
use crate::catalog::shards::{Request, ShardReport};
use crate::catalog::Catalog;
use crate::catalog::CatalogIdentity;
use crate::error::Result;
use crate::trust::integrity::{self, SignatureStatus, TrustOptions};

/// How to gather the information.
#[derive(Debug, Clone)]
pub struct InfoOptions {
    /// What to demand of the signature, and which anchors to trust.
    pub trust: TrustOptions,
    /// How to stream package.xml (threads, batch size, limits); with more
    /// than one thread the file is hashed and verified alongside.
    pub scan: ScanOptions,
    /// Read product and classification names from the shards.
    pub names: bool,
    /// Preferred language of the names (`--lang`, `en` by default); `en` is
    /// tried after it.
    pub lang: String,
}

/// One cabinet index.xml lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CabEntry {
    /// The cabinet's name as index.xml gives it (`package.cab`,
    /// `package2.cab` …).
    pub name: String,
    /// Its RANGESTART: the lowest RevisionId whose fragments it holds.
    /// `None` for package.cab.
    pub range_start: Option<u64>,
    /// FILESDIR="1": the shard also holds `files\` (EULA texts).
    pub files_dir: bool,
    /// Its size inside the outer cabinet; `None` when the catalog does not
    /// contain it.
    pub bytes: Option<u64>,
}

/// A product or classification and how many updates name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryCount {
    /// The category's UpdateId, as updates write it in their `Categories`.
    pub update_id: String,
    /// The RevisionId of the category update; `None` when the catalog does
    /// not hold it.
    pub revision_id: Option<u64>,
    /// The category's title; `None` when names were not read or it has none.
    pub name: Option<String>,
    /// How many updates name it.
    pub updates: u64,
}

/// What `info` found. (The report layer gives it a JSON shape: some of its
/// maps have keys JSON objects cannot have.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoReport {
    /// The catalog's path, size, SHA-256 and root attributes.
    pub catalog: CatalogIdentity,
    /// What the signature check established.
    pub signature: SignatureStatus,
    /// package.xml's decompressed size in bytes.
    pub package_xml_bytes: u64,
    /// How many `<Update>` elements package.xml holds.
    pub updates: u64,
    /// index.xml's cabinets, in its order.
    pub cabs: Vec<CabEntry>,
    /// Members of the outer cabinet index.xml does not list.
    pub unlisted_members: Vec<String>,
    /// Counts over every update: kinds, attributes, values, category Types.
    pub census: Census,
    /// Supersedence totals.
    pub supersedence: Supersedence,
    /// Every Product category updates name, most used first (then by name
    /// and UpdateId).
    pub products: Vec<CategoryCount>,
    /// Every UpdateClassification category updates name, in the same
    /// order as `products`.
    pub classifications: Vec<CategoryCount>,
    /// How the shards were read for names.
    pub shards: ShardReport,
}

/// Gathers the information about the catalog at `path`.
pub fn info(path: &Path, options: &InfoOptions) -> Result<InfoReport> {
    let parallel = options.scan.threads > 1;
    let (identity, mut report) =
        integrity::with_identity(path, &options.trust, parallel, |_| content(path, options))?;
    report.catalog.size = identity.size;
    report.catalog.sha256 = identity.sha256;
    report.catalog.signed_digest = identity.signed_digest;
    report.signature = identity.signature;
    Ok(report)
}

fn content(path: &Path, options: &InfoOptions) -> Result<InfoReport> {
    let catalog = Catalog::open(path)?;
    let index = catalog.read_index()?;
    let inv = inventory::read_catalog(&catalog, &options.scan, &Keep::default())?;
    let outer = catalog.outer();
    let cabs: Vec<CabEntry> = index
        .cabs
        .iter()
        .map(|c| CabEntry {
            name: c.name.clone(),
            range_start: c.range_start,
            files_dir: c.files_dir,
            bytes: outer.find(&c.name).map(|f| u64::from(f.size)),
        })
        .collect();
    let listed: HashSet<String> = index
        .cabs
        .iter()
        .map(|c| c.name.to_ascii_lowercase())
        .collect();
    let unlisted_members = outer
        .files
        .iter()
        .filter(|f| !f.name.eq_ignore_ascii_case(crate::catalog::INDEX_XML))
        .filter(|f| !listed.contains(&f.name.to_ascii_lowercase()))
        .map(|f| f.name.clone())
        .collect();

    // Products and classifications, by the categories updates name.
    let mut products = Vec::new();
    let mut classifications = Vec::new();
    for ((ty, id), updates) in inv.category_counts() {
        let list = match ty.as_str() {
            "Product" => &mut products,
            "UpdateClassification" => &mut classifications,
            _ => continue,
        };
        list.push(CategoryCount {
            revision_id: inv.by_update_id(&id).map(|e| e.revision_id()),
            update_id: id,
            name: None,
            updates,
        });
    }
    let mut shards = ShardReport::default();
    if options.names {
        let mut request = Request::default();
        request.languages.insert(options.lang.clone());
        request.languages.insert("en".to_string());
        request.revisions = products
            .iter()
            .chain(&classifications)
            .filter_map(|c| c.revision_id)
            .collect();
        let (g, report) = names::gather(
            &catalog,
            &index,
            &request,
            &HashSet::new(),
            options.scan.threads,
        )?;
        for c in products.iter_mut().chain(classifications.iter_mut()) {
            c.name = c
                .revision_id
                .and_then(|r| g.title(r, &options.lang, None))
                .map(|(t, _)| t.to_string());
        }
        shards = report;
    }
    let order = |a: &CategoryCount, b: &CategoryCount| {
        b.updates
            .cmp(&a.updates)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.update_id.cmp(&b.update_id))
    };
    products.sort_by(order);
    classifications.sort_by(order);

    Ok(InfoReport {
        catalog: CatalogIdentity::new(path, 0, &inv.root),
        signature: SignatureStatus::NotChecked,
        package_xml_bytes: inv.package_xml_len,
        updates: inv.len() as u64,
        cabs,
        unlisted_members,
        supersedence: inv.supersedence(),
        census: inv.census,
        products,
        classifications,
        shards,
    })
}
