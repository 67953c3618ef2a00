//! The generated catalog's ground truth: every update with the facts a test
//! needs to compare wsuscat's answers against.

use super::rng::Rng;
use crate::catalog::update::Kind;

/// A category update's role, as `Category/@Type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryType {
    /// The publisher (`Microsoft Corporation`), the top of the tree.
    Company,
    /// A product family (`Windows`, `Office`), filed under the company.
    ProductFamily,
    /// A product (`Windows 11`), filed under its family; every bundle
    /// names one.
    Product,
    /// A classification (`Security Updates`, `Definition Updates`); every
    /// bundle names one.
    UpdateClassification,
    /// A detectoid: an applicability test, not a category.
    Detectoid,
}

impl CategoryType {
    /// The role as `Category/@Type` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CategoryType::Company => "Company",
            CategoryType::ProductFamily => "ProductFamily",
            CategoryType::Product => "Product",
            CategoryType::UpdateClassification => "UpdateClassification",
            CategoryType::Detectoid => "Detectoid",
        }
    }
}

/// One generated update.
#[derive(Debug, Clone)]
pub struct TruthUpdate {
    /// Its RevisionId attribute, unique in the catalog; it also names its
    /// fragments (`c\<RevisionId>` …).
    pub revision_id: u32,
    /// Its UpdateId attribute: a lower-case GUID without braces.
    pub update_id: String,
    /// Its RevisionNumber attribute (mostly 200 or 201, as in real
    /// catalogs).
    pub revision_number: u32,
    /// What it was written as (IsBundle, DeploymentAction and IsSoftware
    /// follow from it), and so what wsuscat must classify it as.
    pub kind: Kind,
    /// The DeploymentAction attribute as written: `None` when absent.
    pub deployment_action: Option<String>,
    /// A category update's role; `None` for every other kind.
    pub category_type: Option<CategoryType>,
    /// Title (the `l\en` fragment).
    pub title: String,
    /// The KBArticleID its `x\` fragment carries; `None` when it carries
    /// none (bundled children, categories, stand-alone tools).
    pub kb: Option<u32>,
    /// The MsrcSeverity attribute its `x\` fragment carries (`Critical`,
    /// `Important`, `Moderate`, `Low`); `None` when it carries none (only
    /// security updates' bundles carry one).
    pub severity: Option<&'static str>,
    /// Indices into `Truth::updates` of the categories it belongs to.
    pub categories: Vec<usize>,
    /// UpdateIds of prerequisites.
    pub prerequisites: Vec<String>,
    /// RevisionId of the bundle holding it.
    pub bundled_by: Option<u32>,
    /// SHA-1 digests of payload files.
    pub payload: Vec<[u8; 20]>,
    /// RevisionIds that supersede it (some absent from the catalog).
    pub superseded_by: Vec<u32>,
    /// Its CreationDate attribute (`2021-03-14T05:53:36Z`); a child
    /// shares its bundle's.
    pub creation_date: String,
    /// Attributes beyond the ones above, as written (for drift tests).
    pub extra_attributes: Vec<(String, String)>,
    /// Empty child elements beyond the known ones, by name (for drift tests).
    pub extra_children: Vec<String>,
}

impl TruthUpdate {
    /// An update with its identity and nothing else yet.
    pub fn blank(
        revision_id: u32,
        update_id: String,
        revision_number: u32,
        kind: Kind,
        creation_date: String,
    ) -> TruthUpdate {
        TruthUpdate {
            revision_id,
            update_id,
            revision_number,
            kind,
            deployment_action: None,
            category_type: None,
            title: String::new(),
            kb: None,
            severity: None,
            categories: Vec::new(),
            prerequisites: Vec::new(),
            bundled_by: None,
            payload: Vec::new(),
            superseded_by: Vec::new(),
            creation_date,
            extra_attributes: Vec::new(),
            extra_children: Vec::new(),
        }
    }
}

/// Everything the generator knows about what it wrote.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    /// Updates in RevisionId order.
    pub updates: Vec<TruthUpdate>,
    /// The order in which package.xml lists them (indices into `updates`).
    pub document_order: Vec<usize>,
    /// The root's PackageId attribute: a GUID in braces, new with every
    /// catalog.
    pub package_id: String,
    /// The root's SourceId attribute: a GUID in braces, which a mutated
    /// catalog keeps.
    pub source_id: String,
    /// The root's CreationDate attribute, as the spec gave it.
    pub creation_date: String,
    /// The root's MinimumClientVersion attribute (`5.8.0.2678` unless a
    /// mutation changes it).
    pub minimum_client_version: String,
    /// Shards as (cab name, RANGESTART), in index.xml order.
    pub shards: Vec<(String, u32)>,
    /// Unique payload digests, in FileLocations order.
    pub file_locations: Vec<[u8; 20]>,
    /// Size of package.xml in bytes.
    pub package_xml_len: u64,
}

impl Truth {
    /// The kind-combination package.xml carries for `u`, as the XML writer
    /// writes it.
    pub fn combination(u: &TruthUpdate) -> crate::rules::vocab::Combination {
        let t = || Some("true".to_string());
        let (is_bundle, is_leaf, is_software) = match u.kind {
            Kind::Bundle => (t(), None, None),
            Kind::Child | Kind::Other => (None, t(), None),
            Kind::Category => (None, None, Some("false".to_string())),
        };
        crate::rules::vocab::Combination {
            is_bundle,
            is_leaf,
            deployment_action: u.deployment_action.clone(),
            is_software,
            bundled_by: u.bundled_by.is_some(),
            payload_files: !u.payload.is_empty(),
        }
    }

    /// The update with RevisionId `revision_id`, found by binary search in
    /// `updates`; `None` when there is none.
    pub fn by_revision(&self, revision_id: u32) -> Option<&TruthUpdate> {
        self.updates
            .binary_search_by_key(&revision_id, |u| u.revision_id)
            .ok()
            .map(|i| &self.updates[i])
    }

    /// The shard (cab name) holding `revision_id`'s fragments: the greatest
    /// RANGESTART not above it, compared as integers.
    pub fn shard_for(&self, revision_id: u32) -> Option<&str> {
        self.shards
            .iter()
            .filter(|(_, start)| *start <= revision_id)
            .max_by_key(|(_, start)| *start)
            .map(|(name, _)| name.as_str())
    }
}

const PRODUCTS: &[(&str, &str)] = &[
    ("Windows 10", "Windows"),
    ("Windows 11", "Windows"),
    ("Windows Server 2019", "Windows"),
    ("Windows Server 2022", "Windows"),
    ("Windows 10, version 1903 and later", "Windows"),
    ("Microsoft Defender Antivirus", "Windows"),
    ("Microsoft 365 Apps/Office 2019/Office LTSC", "Office"),
    ("Office 2016", "Office"),
    ("Microsoft SQL Server 2019", "SQL Server"),
    ("Microsoft SQL Server 2022", "SQL Server"),
];

const FAMILIES: &[&str] = &["Windows", "Office", "SQL Server"];

const CLASSIFICATIONS: &[&str] = &[
    "Security Updates",
    "Critical Updates",
    "Updates",
    "Update Rollups",
    "Definition Updates",
    "Feature Packs",
    "Service Packs",
    "Upgrades",
];

const SEVERITIES: &[&str] = &["Critical", "Important", "Moderate", "Low"];

/// A RevisionNumber from a draw in 0..120. Real ones cluster on a few
/// values (200 and 201 most of all), which is part of why the real
/// package.xml compresses as well as it does.
fn revision_number(draw: u32) -> u32 {
    match draw {
        0..60 => 200,
        60..84 => 201,
        84..96 => 100,
        _ => 100 + draw,
    }
}

/// Named categories: the company, the product families, the products and
/// the classifications.
const NAMED: usize = 1 + FAMILIES.len() + PRODUCTS.len() + CLASSIFICATIONS.len();

/// The RevisionId just below the first one [`build`] gives. Real
/// magnitudes differ from year to year: the 2026 catalog numbers from 0
/// (its first shard covers 0-626), 2025 catalogs used about 43 million;
/// [`build_from`] takes either.
pub const DEFAULT_REVISION_BASE: u32 = 1_000_000;

/// Builds the ground truth: `count` updates in the 2026 proportions, their
/// RevisionIds from just above [`DEFAULT_REVISION_BASE`].
pub fn build(rng: &mut Rng, count: usize, inject: &[u32], creation_date: &str) -> Truth {
    build_from(rng, count, inject, creation_date, DEFAULT_REVISION_BASE)
}

/// Like [`build`], with RevisionIds from just above `revision_base` (0 for
/// the small ones of the 2026 catalog).
///
/// Every part draws from `rng` in turn, so the parts are built in a fixed
/// order: building them in another would change every file a seed gives.
pub fn build_from(
    rng: &mut Rng,
    count: usize,
    inject: &[u32],
    creation_date: &str,
    revision_base: u32,
) -> Truth {
    let revs = revision_ids(rng, count, inject, revision_base);
    // Category updates first: they are the oldest revisions in a real catalog.
    let category_count = (count * 42 / 1360).max(NAMED).min(revs.len());
    let mut updates: Vec<TruthUpdate> = Vec::with_capacity(revs.len());
    let categories = add_categories(rng, &revs[..category_count], &mut updates);
    // Then bundles with their children, and a few stand-alone installables.
    add_installables(rng, &revs[category_count..], &categories, &mut updates);
    let max_rev = revs.last().copied().unwrap_or(0);
    supersede_bundles(rng, &mut updates, max_rev);

    let mut document_order: Vec<usize> = (0..updates.len()).collect();
    rng.shuffle(&mut document_order);
    let file_locations = file_locations(&updates);
    Truth {
        updates,
        document_order,
        package_id: format!("{{{}}}", rng.guid()),
        source_id: format!("{{{}}}", rng.guid()),
        creation_date: creation_date.to_string(),
        minimum_client_version: "5.8.0.2678".to_string(),
        shards: Vec::new(),
        file_locations,
        package_xml_len: 0,
    }
}

/// `count` RevisionIds above `base`: ascending with small gaps, then the
/// injected ones replace ordinary ones so the total stays `count`.
fn revision_ids(rng: &mut Rng, count: usize, inject: &[u32], base: u32) -> Vec<u32> {
    let mut revs: Vec<u32> = Vec::with_capacity(count);
    let mut next = base;
    let ordinary = count.saturating_sub(inject.len());
    for _ in 0..ordinary {
        next += rng.range(1, 3) as u32;
        revs.push(next);
    }
    for &r in inject {
        if !revs.contains(&r) {
            revs.push(r);
        }
    }
    revs.sort_unstable();
    revs.dedup();
    revs
}

/// An update with its identity, RevisionNumber and creation date drawn.
fn new_update(rng: &mut Rng, rev: u32, kind: Kind) -> TruthUpdate {
    // Arguments are evaluated left to right: the draws keep their order.
    TruthUpdate::blank(
        rev,
        rng.guid(),
        revision_number(rng.below(120) as u32),
        kind,
        format!(
            "20{:02}-{:02}-{:02}T0{}:{:02}:{:02}Z",
            16 + rng.below(10),
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(10),
            rng.below(60),
            rng.below(60)
        ),
    )
}

/// The category updates by role, as indices into the truth's updates.
#[derive(Default)]
struct Categories {
    company: Option<usize>,
    families: Vec<usize>,
    products: Vec<usize>,
    classifications: Vec<usize>,
    detectoids: Vec<usize>,
    /// UpdateIds that installables name as prerequisites: the detectoids,
    /// then the products.
    prerequisites: Vec<String>,
}

impl Categories {
    /// The role and title of the `i`th category update, at `index` in the
    /// truth's updates; records it under its role.
    fn role(&mut self, i: usize, index: usize) -> (CategoryType, String) {
        if i == 0 {
            self.company = Some(index);
            (CategoryType::Company, "Microsoft Corporation".to_string())
        } else if i <= FAMILIES.len() {
            self.families.push(index);
            (CategoryType::ProductFamily, FAMILIES[i - 1].to_string())
        } else if i <= FAMILIES.len() + PRODUCTS.len() {
            self.products.push(index);
            (
                CategoryType::Product,
                PRODUCTS[i - 1 - FAMILIES.len()].0.to_string(),
            )
        } else if i < NAMED {
            self.classifications.push(index);
            (
                CategoryType::UpdateClassification,
                CLASSIFICATIONS[i - 1 - FAMILIES.len() - PRODUCTS.len()].to_string(),
            )
        } else {
            self.detectoids.push(index);
            (
                CategoryType::Detectoid,
                format!("Detectoid {}", i - NAMED + 1),
            )
        }
    }

    /// The categories the `i`th category update, of type `ty`, belongs to:
    /// a family to the company, a product to its family.
    fn parents(&self, i: usize, ty: CategoryType) -> Vec<usize> {
        match ty {
            CategoryType::ProductFamily => self.company.into_iter().collect(),
            CategoryType::Product => {
                let family = PRODUCTS[i - 1 - FAMILIES.len()].1;
                let fi = FAMILIES.iter().position(|f| *f == family).unwrap_or(0);
                vec![self.families[fi]]
            }
            _ => Vec::new(),
        }
    }
}

/// Adds a category update for each of `revs`: the named ones, then
/// detectoids.
fn add_categories(rng: &mut Rng, revs: &[u32], updates: &mut Vec<TruthUpdate>) -> Categories {
    let mut categories = Categories::default();
    for (i, &rev) in revs.iter().enumerate() {
        let mut u = new_update(rng, rev, Kind::Category);
        u.deployment_action = Some("Evaluate".into());
        let (ty, title) = categories.role(i, updates.len());
        u.category_type = Some(ty);
        u.title = title;
        u.categories = categories.parents(i, ty);
        updates.push(u);
    }
    categories.prerequisites = categories
        .detectoids
        .iter()
        .chain(categories.products.iter())
        .map(|&i| updates[i].update_id.clone())
        .collect();
    categories
}

/// Adds an installable update for each of `revs`: bundles, each followed
/// by its children, and now and then a stand-alone tool between them.
fn add_installables(
    rng: &mut Rng,
    revs: &[u32],
    categories: &Categories,
    updates: &mut Vec<TruthUpdate>,
) {
    let mut kb = 5_000_000 + rng.below(50_000) as u32;
    let mut bundle: Option<usize> = None;
    let mut children_left = 0u64;
    for &rev in revs {
        let u = if children_left == 0 && bundle.is_some() && rng.chance(0.01) {
            stand_alone(rng, rev)
        } else if children_left == 0 {
            let u = new_bundle(rng, rev, &mut kb, categories, updates);
            bundle = Some(updates.len());
            children_left = rng.range(2, 8);
            u
        } else {
            let parent = &updates[bundle.expect("a bundle precedes its children")];
            children_left -= 1;
            new_child(rng, rev, parent, updates.last(), &categories.prerequisites)
        };
        updates.push(u);
    }
}

fn stand_alone(rng: &mut Rng, rev: u32) -> TruthUpdate {
    let mut u = new_update(rng, rev, Kind::Other);
    u.title = format!("Stand-alone tool {rev}");
    u.payload.push(rng.bytes());
    u
}

/// A bundle of a product and a classification, with the next KB number
/// (`kb` moves on).
fn new_bundle(
    rng: &mut Rng,
    rev: u32,
    kb: &mut u32,
    categories: &Categories,
    updates: &[TruthUpdate],
) -> TruthUpdate {
    let mut u = new_update(rng, rev, Kind::Bundle);
    *kb += rng.range(1, 40) as u32;
    let product = categories.products[rng.below(categories.products.len() as u64) as usize];
    let class_i = rng.below(categories.classifications.len() as u64) as usize;
    let classification = categories.classifications[class_i];
    let month = 1 + rng.below(12);
    u.title = format!(
        "2026-{month:02} {} for {} for x64-based Systems (KB{kb})",
        if class_i == 0 {
            "Security Update"
        } else {
            "Update"
        },
        updates[product].title
    );
    u.kb = Some(*kb);
    if class_i == 0 {
        u.severity = Some(*rng.pick(SEVERITIES));
    }
    let family = updates[product].categories[0];
    u.categories = vec![
        categories.company.unwrap_or(0),
        family,
        product,
        classification,
    ];
    for _ in 0..rng.range(1, 3) {
        u.prerequisites
            .push(rng.pick(&categories.prerequisites).clone());
    }
    u
}

/// A child of the bundle `parent`; `previous` is the update before it,
/// whose payload a sibling may share.
fn new_child(
    rng: &mut Rng,
    rev: u32,
    parent: &TruthUpdate,
    previous: Option<&TruthUpdate>,
    prerequisites: &[String],
) -> TruthUpdate {
    let mut u = new_update(rng, rev, Kind::Child);
    u.deployment_action = Some("Bundle".into());
    u.bundled_by = Some(parent.revision_id);
    u.title = parent.title.clone();
    // A child's `x\` fragment carries neither KBArticleID nor MsrcSeverity:
    // only its bundle's does (x/2 and x/12 against x/1 in the 2026 slice
    // cited in tests/it/real_shapes.rs).
    u.kb = None;
    u.severity = None;
    // A child names its bundle's product and classification. Most
    // have one payload file and some share their sibling's: about 97k
    // FileLocations for 111k children in the 2026 catalog. Digests are
    // drawn either way, so that a seed gives the same GUIDs as before
    // this was tuned (see docs/performance.md, "Generated catalogs").
    u.categories = parent.categories[2..].to_vec();
    let payloads = rng.range(1, 2);
    for k in 0..payloads {
        let digest = rng.bytes();
        let sibling = previous.filter(|s| s.bundled_by == u.bundled_by);
        match sibling {
            Some(s) if k == 0 && rev % 7 == 0 => u.payload.push(s.payload[0]),
            _ if k == 0 || rev % 8 == 0 => u.payload.push(digest),
            _ => {}
        }
    }
    // Children are created with their bundle.
    u.creation_date = parent.creation_date.clone();
    u.prerequisites.push(rng.pick(prerequisites).clone());
    u
}

/// Supersedence: about two thirds of bundles are superseded by later
/// bundles; about one ref in twenty points to a revision not in the file
/// (above `max_rev`).
fn supersede_bundles(rng: &mut Rng, updates: &mut [TruthUpdate], max_rev: u32) {
    let bundle_revs: Vec<u32> = updates
        .iter()
        .filter(|u| u.kind == Kind::Bundle)
        .map(|u| u.revision_id)
        .collect();
    for u in updates.iter_mut().filter(|u| u.kind == Kind::Bundle) {
        if bundle_revs.len() < 2 || !rng.chance(0.66) {
            continue;
        }
        let n = rng.range(1, 40);
        for _ in 0..n {
            let r = if rng.chance(0.05) {
                max_rev + 1 + rng.below(1_000_000) as u32
            } else {
                *rng.pick(&bundle_revs)
            };
            if r != u.revision_id && !u.superseded_by.contains(&r) {
                u.superseded_by.push(r);
            }
        }
    }
}

/// Each payload file once, where it is first named.
fn file_locations(updates: &[TruthUpdate]) -> Vec<[u8; 20]> {
    let mut file_locations = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for u in updates {
        file_locations.extend(u.payload.iter().copied().filter(|d| seen.insert(*d)));
    }
    file_locations
}
