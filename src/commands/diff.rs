//! `diff`: what changed from one catalog to the next.
//!
//! An administrator who synced last month's catalog wants to know what this
//! month's brings before it reaches the fleet: which updates came, went or
//! were revised, which attributes changed (DeploymentAction above all), what
//! was newly superseded or expired, which products and classifications
//! appeared, and anything the old catalog never used (the shape of 954474).
//!
//! Updates are matched by UpdateId; a matched pair whose RevisionId or
//! RevisionNumber differs is a revision. Both catalogs stream through the
//! same parallel pipeline as `check`, at the same time, and each keeps one
//! compact record per update (identity, attributes packed in one string, a
//! superseded flag), so memory grows with the number of updates, never with
//! the XML's size.
//!
//! What changed is then named from the shards (titles and KB numbers of
//! the updates, titles of the categories): OLD's for what only OLD holds,
//! NEW's for the rest, after both catalogs' records are dropped. Only the
//! changed items are named (only the first `name_limit` of each section
//! when the caller shows no more), and what is missing is a note.
//!
//! "Expired" is defined from the two package.xml files alone: an update that
//! was superseded in OLD and is absent from NEW. (WSUS expires superseded
//! updates by removing them from the catalog; package.xml has no expiry
//! flag.) Every expired update is also counted as removed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::catalog::index::{Index, IndexEntry};
use crate::catalog::names::{self, Gathered};
use crate::catalog::package::parse::Element;
use crate::catalog::package::scan::{scan, ScanOptions, Visitor};
use crate::catalog::package::RootInfo;
use crate::catalog::shards::{Request, ShardReport};
use crate::catalog::update::{RefKind, Update};
use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind, Result};
use crate::rules::vocab::{Collector, Term, Vocabulary};
use crate::trust::integrity::{self, Preflighted, TrustOptions};

/// One update's facts that `diff` compares.
struct Record {
    /// Exactly as long as it is (a `String` built by appending has room to
    /// spare): a full catalog has hundreds of thousands of records.
    update_id: Box<str>,
    revision_id: u64,
    revision_number: Option<u64>,
    /// Every other attribute, sorted by name: `name\0value\0`…
    attributes: Box<str>,
    superseded: bool,
}

impl Record {
    fn of(u: &Update) -> Record {
        let mut attrs: Vec<(&str, &str)> = u
            .attributes()
            .filter(|(n, _)| !matches!(*n, "UpdateId" | "RevisionId" | "RevisionNumber"))
            .collect();
        attrs.sort_unstable();
        let mut attributes = String::new();
        for (n, v) in attrs {
            attributes.push_str(code(n));
            attributes.push('\0');
            attributes.push_str(v);
            attributes.push('\0');
        }
        Record {
            update_id: u.get("UpdateId").unwrap_or_default().into(),
            revision_id: u.revision_id().unwrap_or_default(),
            revision_number: u.get("RevisionNumber").and_then(|v| v.parse().ok()),
            attributes: attributes.into_boxed_str(),
            superseded: u.refs(RefKind::SupersededBy).next().is_some(),
        }
    }

    fn attribute_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut parts = self.attributes.split('\0');
        std::iter::from_fn(move || {
            let n = parts.next().filter(|n| !n.is_empty())?;
            Some((name(n), parts.next().unwrap_or_default()))
        })
    }

    fn brief(&self) -> UpdateBrief {
        UpdateBrief {
            update_id: self.update_id.to_string(),
            revision_id: self.revision_id,
            revision_number: self.revision_number,
            title: None,
            kb: None,
        }
    }

    /// Its DefaultLanguage attribute, when it has one.
    fn default_language(&self) -> Option<&str> {
        self.attribute_pairs()
            .find(|(n, _)| *n == "DefaultLanguage")
            .map(|(_, v)| v)
    }
}

/// Attribute names every update carries, packed as one control character
/// each (`\u{1}` is the first): an XML name never holds one, so the packing
/// is the same for both catalogs and reversible, and a full catalog's
/// records are some 60 bytes shorter each.
const PACKED: [&str; 7] = [
    "CreationDate",
    "DefaultLanguage",
    "DeploymentAction",
    "IsBundle",
    "IsLeaf",
    "IsSoftware",
    "IsBeta",
];

/// An attribute name as packed in a record.
fn code(name: &str) -> &str {
    const CODES: [&str; 7] = [
        "\u{1}", "\u{2}", "\u{3}", "\u{4}", "\u{5}", "\u{6}", "\u{7}",
    ];
    PACKED
        .iter()
        .position(|p| *p == name)
        .map_or(name, |i| CODES[i])
}

/// A packed attribute name as written.
fn name(packed: &str) -> &str {
    match packed.as_bytes() {
        [c @ 1..=7] => PACKED[usize::from(*c) - 1],
        _ => packed,
    }
}

/// The most `diff` holds of the two catalogs' records together, in bytes
/// (records, their text, and the category pairs each batch collects), and
/// of the differences found in them (each counted with its share of the
/// names read for it, [`ITEM_BYTES`]).
///
/// Why this number: the generated pair of 408k-update catalogs (three times
/// today's volume) holds about 145 MB, a 136k pair about 48 MB. A
/// package.xml can claim ten million updates, and every record holds its
/// attributes' text; without a bound `diff` would follow the claim into
/// gigabytes. At the bound it stops with a limit error (exit code 3), under
/// 256 MB. Two unrelated catalogs (every update differs) fit at today's
/// volume (134 MB with every item named); at three times it they reach the
/// bound (measured: 323 MB before it).
pub const MAX_RECORD_BYTES: usize = 200 << 20;

/// What one record costs besides its text: the struct, and the
/// allocator's header and rounding on its two strings.
const RECORD_OVERHEAD: usize = std::mem::size_of::<Record>() + 2 * 16;

/// What a collected category pair costs besides its text (two strings in a
/// B-tree node).
const PAIR_OVERHEAD: usize = 96;

struct Reader<'a> {
    /// Shared by every batch's reader: no batch keeps a copy of its
    /// records to be joined at the end.
    records: &'a Mutex<Vec<Record>>,
    /// Bytes held by both catalogs' readers, against [`MAX_RECORD_BYTES`].
    held: &'a AtomicUsize,
    /// Set once `held` passed the bound: the scan ends at this update.
    full: bool,
    categories: BTreeSet<(String, String)>,
    vocabulary: Collector,
}

impl Visitor for Reader<'_> {
    fn wants_elements(&self) -> bool {
        true
    }

    fn element(&mut self, element: &Element<'_>) {
        self.vocabulary.element(element);
    }

    fn update(&mut self, u: &Update) {
        if self.full || self.held.load(Ordering::Relaxed) > MAX_RECORD_BYTES {
            self.full = true;
            return;
        }
        self.vocabulary.update(u);
        let record = Record::of(u);
        let mut bytes = RECORD_OVERHEAD + record.update_id.len() + record.attributes.len();
        // Only a reader that panicked while pushing poisons the lock, and
        // that panic ends the scan.
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
        for (ty, id) in u.categories() {
            if matches!(ty, "Product" | "UpdateClassification")
                && self.categories.insert((ty.to_string(), id.to_string()))
            {
                bytes += PAIR_OVERHEAD + ty.len() + id.len();
            }
        }
        self.held.fetch_add(bytes, Ordering::Relaxed);
    }

    fn refusal(&mut self) -> Option<Error> {
        if let Some(e) = self.vocabulary.refusal() {
            return Some(e);
        }
        self.full.then(|| {
            Error::new(
                ErrorKind::Limit,
                format!(
                    "package.xml: diff's records of the two catalogs reached their bound of \
                     {} MiB (MAX_RECORD_BYTES); a pair of 136k-update catalogs needs about \
                     48 MB",
                    MAX_RECORD_BYTES >> 20
                ),
            )
        })
    }
}

/// One catalog, read for comparison.
struct Side {
    records: Vec<Record>,
    categories: BTreeSet<(String, String)>,
    vocabulary: Vocabulary,
    root: RootInfo,
    index: Index,
    /// The file's size and modification time when it was checked: the
    /// shards read later for names must come from the same file.
    preflighted: Option<Preflighted>,
}

fn read_side(path: &Path, options: &ScanOptions, held: &AtomicUsize) -> Result<Side> {
    let catalog = Catalog::open(path)?;
    let index_bytes = catalog.read_index_xml()?;
    let index = Index::parse(&index_bytes).map_err(|e| e.with_file(path))?;
    let mut xml = catalog.stream_package_xml()?;
    let records = Mutex::new(Vec::new());
    let terms = Arc::new(AtomicUsize::new(0));
    let new_reader = || Reader {
        records: &records,
        held,
        full: false,
        categories: BTreeSet::new(),
        vocabulary: Collector::sharing(&terms),
    };
    let scanned = scan(&mut xml, options, &new_reader, None)
        .map_err(|e| crate::catalog::scan_error(e, path))?;
    xml.finish()?;
    let mut side = Side {
        records: Vec::new(),
        categories: BTreeSet::new(),
        vocabulary: Vocabulary::default(),
        root: scanned.document.root.clone(),
        index,
        preflighted: None,
    };
    for r in scanned.visitors {
        side.categories.extend(r.categories);
        side.vocabulary.absorb(r.vocabulary);
    }
    side.vocabulary.add_root(&side.root);
    side.vocabulary
        .add_index(&index_bytes)
        .map_err(|e| e.with_file(path))?;
    side.records = records.into_inner().unwrap_or_else(|e| e.into_inner());
    // The batches pushed in any order: ties on (UpdateId, RevisionId) are
    // broken by everything else, so that the order is the same every run.
    side.records.sort_unstable_by(|a, b| {
        (
            &*a.update_id,
            a.revision_id,
            a.revision_number,
            &*a.attributes,
            a.superseded,
        )
            .cmp(&(
                &*b.update_id,
                b.revision_id,
                b.revision_number,
                &*b.attributes,
                b.superseded,
            ))
    });
    Ok(side)
}

/// Who a catalog is.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CatalogSummary {
    /// The catalog's path as the caller gave it.
    pub path: String,
    /// The root's PackageId attribute, as written (a braced GUID); `None`
    /// when absent.
    pub package_id: Option<String>,
    /// The root's CreationDate attribute, as written; `None` when absent.
    pub creation_date: Option<String>,
    /// How many `<Update>` elements its package.xml holds.
    pub updates: u64,
}

/// An update as `diff` names it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UpdateBrief {
    /// Its UpdateId attribute, as written; empty when absent.
    pub update_id: String,
    /// Its RevisionId attribute.
    pub revision_id: u64,
    /// Its RevisionNumber attribute; `None` when missing or not a number.
    pub revision_number: Option<u64>,
    /// Its title from its `l\<lang>\<RevisionId>` fragment (in the catalog
    /// that holds this revision: OLD for a removed or expired update, NEW
    /// otherwise); `None` when none was found (`notes` says why) or names
    /// were not read.
    pub title: Option<Arc<str>>,
    /// `KBArticleID` from its `x\<RevisionId>` fragment, digits as written
    /// (no `KB`); `None` when there is none or names were not read.
    pub kb: Option<Arc<str>>,
}

/// The same UpdateId with another revision.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Revised {
    /// The UpdateId both catalogs carry.
    pub update_id: String,
    /// Its RevisionId in OLD.
    pub old_revision_id: u64,
    /// Its RevisionId in NEW (the same as OLD's when only the
    /// RevisionNumber changed).
    pub new_revision_id: u64,
    /// Its RevisionNumber in OLD; `None` when missing or not a number.
    pub old_revision_number: Option<u64>,
    /// Its RevisionNumber in NEW; `None` when missing or not a number.
    pub new_revision_number: Option<u64>,
    /// The title of its NEW revision (see [`UpdateBrief::title`]).
    pub title: Option<Arc<str>>,
    /// The KBArticleID of its NEW revision (see [`UpdateBrief::kb`]).
    pub kb: Option<Arc<str>>,
}

/// An attribute of a matched update that changed; `None` is absent.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AttributeChange {
    /// The update's UpdateId, the same in both catalogs.
    pub update_id: String,
    /// Its RevisionId in NEW.
    pub revision_id: u64,
    /// The `<Update>` attribute's name, as written: never UpdateId,
    /// RevisionId or RevisionNumber, which `revised` covers.
    pub attribute: String,
    /// Its value in OLD, after XML unescaping; `None` when absent there.
    pub old: Option<String>,
    /// Its value in NEW, after XML unescaping; `None` when absent there.
    pub new: Option<String>,
    /// The title of its NEW revision (see [`UpdateBrief::title`]).
    pub title: Option<Arc<str>>,
    /// The KBArticleID of its NEW revision (see [`UpdateBrief::kb`]).
    pub kb: Option<Arc<str>>,
}

impl AttributeChange {
    /// The order the human report shows attribute changes in, and names
    /// them in under a limit: DeploymentAction changes first (they are
    /// what broke consumers before), otherwise as listed.
    pub fn shown_order(changes: &[AttributeChange]) -> Vec<&AttributeChange> {
        shown_indices(changes)
            .into_iter()
            .map(|i| &changes[i])
            .collect()
    }
}

/// The indices of `changes` in [`AttributeChange::shown_order`].
fn shown_indices(changes: &[AttributeChange]) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..changes.len()).collect();
    shown.sort_by_key(|&i| changes[i].attribute != "DeploymentAction");
    shown
}

/// A root attribute that changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RootChange {
    /// The `<OfflineSyncPackage>` attribute's name, as written (namespace
    /// declarations are not compared).
    pub attribute: String,
    /// Its value in OLD; `None` when absent there.
    pub old: Option<String>,
    /// Its value in NEW; `None` when absent there.
    pub new: Option<String>,
}

/// An index.xml entry that appeared, disappeared or changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ShardChange {
    /// The cabinet's name (`package3.cab`), which entries are matched by.
    pub name: String,
    /// Its `<CAB>` entry in OLD's index.xml; `None` when NEW added it.
    pub old: Option<IndexEntry>,
    /// Its `<CAB>` entry in NEW's index.xml; `None` when NEW dropped it.
    pub new: Option<IndexEntry>,
}

/// Something NEW uses that OLD never did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Novelty {
    /// The baseline rule it would break: `new-element`, `new-attribute`,
    /// `new-value` or `new-combination`.
    pub rule: String,
    /// What it is, in one line (`value Update@DeploymentAction="X"`), as
    /// `check` reports it against a baseline.
    pub subject: String,
    /// The vocabulary item: an element path, an attribute, a value or a
    /// kind-combination, in package.xml or index.xml.
    pub term: Term,
    /// Updates in NEW carrying it (0 when it is not about updates).
    pub updates: u64,
    /// Elements (or updates, for values and combinations) in NEW carrying
    /// it.
    pub occurrences: u64,
    /// RevisionIds of the first updates carrying it in NEW's document
    /// order (at most [`FIRST`](crate::rules::vocab::FIRST)), sorted.
    pub first: Vec<u64>,
}

/// Everything `diff` found. Every list is sorted.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DiffReport {
    /// The older catalog: path, PackageId, CreationDate, update count.
    pub old: CatalogSummary,
    /// The newer catalog, likewise.
    pub new: CatalogSummary,
    /// Updates only NEW holds: UpdateIds OLD does not have, and revisions
    /// of a multi-revision UpdateId that pair with none in OLD. By
    /// UpdateId, then RevisionId.
    pub added: Vec<UpdateBrief>,
    /// Updates only OLD holds, likewise. By UpdateId, then RevisionId.
    pub removed: Vec<UpdateBrief>,
    /// Updates in both whose RevisionId or RevisionNumber differs, by
    /// UpdateId.
    pub revised: Vec<Revised>,
    /// For updates in both, every `<Update>` attribute (other than
    /// UpdateId, RevisionId and RevisionNumber) whose value differs, by
    /// UpdateId, then attribute name.
    pub attribute_changes: Vec<AttributeChange>,
    /// Updates in both with no `<SupersededBy>` in OLD and one in NEW,
    /// named as NEW has them; by UpdateId.
    pub newly_superseded: Vec<UpdateBrief>,
    /// Updates superseded in OLD and absent from NEW: what WSUS calls
    /// expired. Each is in `removed` too; named as OLD had them.
    pub newly_expired: Vec<UpdateBrief>,
    /// UpdateIds that some update in NEW references as `Category
    /// Type="Product"` and none in OLD did, as written.
    pub products_added: Vec<String>,
    /// UpdateIds that some update in OLD referenced as `Category
    /// Type="Product"` and none in NEW does, as written.
    pub products_removed: Vec<String>,
    /// Like `products_added`, for `Type="UpdateClassification"`.
    pub classifications_added: Vec<String>,
    /// Like `products_removed`, for `Type="UpdateClassification"`.
    pub classifications_removed: Vec<String>,
    /// `<OfflineSyncPackage>` attributes that differ, by name (PackageId
    /// and CreationDate change with every publication).
    pub root_changes: Vec<RootChange>,
    /// index.xml entries added, removed, or with another RANGESTART or
    /// FILESDIR, by cabinet name.
    pub shard_changes: Vec<ShardChange>,
    /// Element paths, attribute names, enumerated values and
    /// kind-combinations NEW uses and OLD never did: the novelties a
    /// baseline of OLD reports in `check`. In [`Term`]'s order.
    pub vocabulary: Vec<Novelty>,
    /// The titles of the categories in `products_added`,
    /// `products_removed`, `classifications_added` and
    /// `classifications_removed`, by UpdateId as written there: an added
    /// category's from NEW's shards, a removed one's from OLD's. A
    /// category with no title found is left out (`notes` says why).
    pub category_titles: BTreeMap<String, Arc<str>>,
    /// What naming could not find: missing shards, fragments or category
    /// updates, one note per cause and catalog (with the first
    /// RevisionIds or UpdateIds concerned). Never a failure: the diff
    /// itself is complete without names.
    pub notes: Vec<String>,
}

impl DiffReport {
    /// The number of differences, all sections together.
    pub fn differences(&self) -> usize {
        self.added.len()
            + self.removed.len()
            + self.revised.len()
            + self.attribute_changes.len()
            + self.newly_superseded.len()
            + self.newly_expired.len()
            + self.products_added.len()
            + self.products_removed.len()
            + self.classifications_added.len()
            + self.classifications_removed.len()
            + self.root_changes.len()
            + self.shard_changes.len()
            + self.vocabulary.len()
    }
}

/// How to run a diff.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Threads in total; each catalog gets half.
    pub scan: ScanOptions,
    /// What each catalog's signature must prove, as for `check`: a damaged
    /// download is an error, never "no differences".
    pub trust: TrustOptions,
    /// Name what changed (titles, KB numbers, category titles) from the
    /// shards: OLD's for what it alone holds, NEW's for the rest.
    pub names: bool,
    /// Preferred language of the titles; each update's DefaultLanguage,
    /// then English, are tried after it.
    pub lang: String,
    /// Name at most this many items of each section, in the order the
    /// human report shows them (`None`: every item). The human report
    /// shows only its first `--top` items, so it names only those.
    pub name_limit: Option<usize>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            scan: ScanOptions::default(),
            trust: TrustOptions::default(),
            names: true,
            lang: "en".to_string(),
            name_limit: None,
        }
    }
}

fn summary(path: &Path, side: &Side) -> CatalogSummary {
    CatalogSummary {
        path: path.display().to_string(),
        package_id: side.root.get("PackageId").map(str::to_string),
        creation_date: side.root.get("CreationDate").map(str::to_string),
        updates: side.records.len() as u64,
    }
}

/// Compares the catalogs at `old` and `new`. Fails closed: each catalog
/// goes through the same size preflight and signature check as `check`,
/// and either catalog unreadable is an error, never a partial diff.
pub fn diff(old: &Path, new: &Path, options: &DiffOptions) -> Result<DiffReport> {
    let mut half = options.scan;
    half.threads = (options.scan.threads / 2).max(1);
    let held = AtomicUsize::new(0);
    let read = |path: &Path| {
        integrity::with_identity(path, &options.trust, half.threads > 1, |pre| {
            read_side(path, &half, &held).map(|side| Side {
                preflighted: Some(*pre),
                ..side
            })
        })
        .map(|(_, side)| side)
    };
    let (a, b) = if options.scan.threads <= 1 {
        (read(old), read(new))
    } else {
        std::thread::scope(|s| {
            let other = s.spawn(|| read(old));
            let b = read(new);
            (other.join().expect("reading does not panic"), b)
        })
    };
    let (a, b) = (a?, b?);
    let mut report = compare(summary(old, &a), summary(new, &b), &a, &b, &held)?;
    if options.names {
        name_changes(&mut report, (old, a), (new, b), options)?;
    }
    Ok(report)
}

/// What one difference costs, counted against [`MAX_RECORD_BYTES`] with the
/// records: its item, and its share of the names read for it later (a
/// title, a KB and their place in the maps naming fills). A pair of
/// unrelated catalogs makes an item of every record, and its names
/// outweigh the records, which are dropped before naming.
const ITEM_BYTES: usize = std::mem::size_of::<UpdateBrief>() + 160;

fn compare(
    old: CatalogSummary,
    new: CatalogSummary,
    a: &Side,
    b: &Side,
    held: &AtomicUsize,
) -> Result<DiffReport> {
    let (products_added, products_removed) = category_changes(a, b, "Product");
    let (classifications_added, classifications_removed) =
        category_changes(a, b, "UpdateClassification");
    let mut r = DiffReport {
        old,
        new,
        added: Vec::new(),
        removed: Vec::new(),
        revised: Vec::new(),
        attribute_changes: Vec::new(),
        newly_superseded: Vec::new(),
        newly_expired: Vec::new(),
        products_added,
        products_removed,
        classifications_added,
        classifications_removed,
        root_changes: root_changes(&a.root, &b.root),
        shard_changes: shard_changes(&a.index, &b.index),
        vocabulary: novelties(&a.vocabulary, &b.vocabulary),
        category_titles: BTreeMap::new(),
        notes: Vec::new(),
    };
    let mut counted = 0;
    for (olds, news) in by_update_id(&a.records, &b.records) {
        let revisions = Revisions::pair(olds, news);
        for o in revisions.removed {
            r.removed.push(o.brief());
            if o.superseded {
                r.newly_expired.push(o.brief());
            }
        }
        for n in revisions.added {
            r.added.push(n.brief());
        }
        for (o, n) in revisions.pairs {
            r.compare_pair(o, n);
        }
        let items = r.differences();
        if items > counted {
            let now = held.fetch_add((items - counted) * ITEM_BYTES, Ordering::Relaxed)
                + (items - counted) * ITEM_BYTES;
            counted = items;
            if now > MAX_RECORD_BYTES {
                // The place is NEW's package.xml: the differences are
                // NEW's updates against OLD's.
                let mut e = Error::new(
                    ErrorKind::Limit,
                    format!(
                        "against OLD ({}), more than {items} differences: diff's records and \
                         report reached their bound of {} MiB (MAX_RECORD_BYTES); two \
                         unrelated 136k-update catalogs need about 135 MB",
                        r.old.path,
                        MAX_RECORD_BYTES >> 20
                    ),
                )
                .with_file(&r.new.path);
                e.place_mut().members = vec!["package.cab".into(), "package.xml".into()];
                return Err(e);
            }
        }
    }
    // Pushing leaves up to half of each list spare; a pair of unrelated
    // catalogs makes one item of every record, and the names come next.
    for list in [
        &mut r.added,
        &mut r.removed,
        &mut r.newly_superseded,
        &mut r.newly_expired,
    ] {
        list.shrink_to_fit();
    }
    r.revised.shrink_to_fit();
    r.attribute_changes.shrink_to_fit();
    Ok(r)
}

/// The records of each UpdateId found in OLD or NEW (`x`, `y`, both sorted
/// by UpdateId), in UpdateId order.
fn by_update_id<'a>(
    mut x: &'a [Record],
    mut y: &'a [Record],
) -> impl Iterator<Item = (&'a [Record], &'a [Record])> {
    std::iter::from_fn(move || {
        let key = match (x.first(), y.first()) {
            (Some(p), Some(q)) => (&*p.update_id).min(&*q.update_id),
            (Some(p), None) => &*p.update_id,
            (None, Some(q)) => &*q.update_id,
            (None, None) => return None,
        };
        let prefix = |records: &[Record]| {
            records
                .iter()
                .position(|r| &*r.update_id != key)
                .unwrap_or(records.len())
        };
        let (olds, rest) = x.split_at(prefix(x));
        x = rest;
        let (news, rest) = y.split_at(prefix(y));
        y = rest;
        Some((olds, news))
    })
}

/// One UpdateId's revisions in OLD and NEW, paired.
struct Revisions<'a> {
    pairs: Vec<(&'a Record, &'a Record)>,
    /// In OLD only.
    removed: Vec<&'a Record>,
    /// In NEW only.
    added: Vec<&'a Record>,
}

impl<'a> Revisions<'a> {
    /// One revision on each side is the same update revised or not; of
    /// several, the same RevisionId pairs up.
    fn pair(olds: &'a [Record], news: &'a [Record]) -> Revisions<'a> {
        let mut r = Revisions {
            pairs: Vec::new(),
            removed: Vec::new(),
            added: news.iter().collect(),
        };
        if olds.len() == 1 && news.len() == 1 {
            r.pairs.push((&olds[0], &news[0]));
            r.added.clear();
        } else {
            for o in olds {
                match r.added.iter().position(|n| n.revision_id == o.revision_id) {
                    Some(k) => r.pairs.push((o, r.added.remove(k))),
                    None => r.removed.push(o),
                }
            }
        }
        r
    }
}

impl DiffReport {
    /// Records what differs between OLD's `o` and NEW's `n`, one update.
    fn compare_pair(&mut self, o: &Record, n: &Record) {
        if o.revision_id != n.revision_id || o.revision_number != n.revision_number {
            self.revised.push(Revised {
                update_id: n.update_id.to_string(),
                old_revision_id: o.revision_id,
                new_revision_id: n.revision_id,
                old_revision_number: o.revision_number,
                new_revision_number: n.revision_number,
                title: None,
                kb: None,
            });
        }
        if o.attributes != n.attributes {
            self.attribute_changes.extend(attribute_changes(o, n));
        }
        if !o.superseded && n.superseded {
            self.newly_superseded.push(n.brief());
        }
    }
}

/// The attributes that differ between OLD's `o` and NEW's `n`, by name.
fn attribute_changes<'a>(
    o: &'a Record,
    n: &'a Record,
) -> impl Iterator<Item = AttributeChange> + 'a {
    let names: BTreeSet<&str> = o
        .attribute_pairs()
        .chain(n.attribute_pairs())
        .map(|(k, _)| k)
        .collect();
    names.into_iter().filter_map(move |name| {
        let get = |rec: &Record| {
            rec.attribute_pairs()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let (ov, nv) = (get(o), get(n));
        (ov != nv).then(|| AttributeChange {
            update_id: n.update_id.to_string(),
            revision_id: n.revision_id,
            attribute: name.to_string(),
            old: ov,
            new: nv,
            title: None,
            kb: None,
        })
    })
}

/// The categories of type `ty` referenced in NEW and not OLD, and in OLD
/// and not NEW.
fn category_changes(a: &Side, b: &Side, ty: &str) -> (Vec<String>, Vec<String>) {
    let ids = |s: &Side| -> BTreeSet<String> {
        s.categories
            .iter()
            .filter(|(t, _)| t == ty)
            .map(|(_, id)| id.clone())
            .collect()
    };
    let (p, q) = (ids(a), ids(b));
    (
        q.difference(&p).cloned().collect(),
        p.difference(&q).cloned().collect(),
    )
}

/// Root attributes that differ, namespace declarations aside.
fn root_changes(a: &RootInfo, b: &RootInfo) -> Vec<RootChange> {
    let names: BTreeSet<&str> = a
        .attributes
        .iter()
        .chain(&b.attributes)
        .map(|(n, _)| n.as_str())
        .filter(|n| *n != "xmlns" && !n.starts_with("xmlns:"))
        .collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (ov, nv) = (a.get(name), b.get(name));
            (ov != nv).then(|| RootChange {
                attribute: name.to_string(),
                old: ov.map(str::to_string),
                new: nv.map(str::to_string),
            })
        })
        .collect()
}

/// index.xml entries that differ, by cabinet name.
fn shard_changes(a: &Index, b: &Index) -> Vec<ShardChange> {
    let names: BTreeSet<&str> = a
        .cabs
        .iter()
        .chain(&b.cabs)
        .map(|c| c.name.as_str())
        .collect();
    names
        .into_iter()
        .filter_map(|name| {
            let find = |i: &Index| i.cabs.iter().find(|c| c.name == name).cloned();
            let (o, n) = (find(a), find(b));
            (o != n).then(|| ShardChange {
                name: name.to_string(),
                old: o,
                new: n,
            })
        })
        .collect()
}

/// The terms NEW uses that OLD never did.
fn novelties(a: &Vocabulary, b: &Vocabulary) -> Vec<Novelty> {
    b.terms
        .iter()
        .filter(|(term, _)| !a.terms.contains_key(term))
        .map(|(term, tally)| {
            let mut first = tally.first.clone();
            first.sort_unstable();
            Novelty {
                rule: term.novelty_rule().to_string(),
                subject: term.describe(),
                term: term.clone(),
                updates: tally.updates,
                occurrences: tally.occurrences,
                first,
            }
        })
        .collect()
}

// ---- Names (issue 13): what changed, named from the shards ----
//
// Only the changed items are named, so what is read and held grows with the
// diff, not with the catalogs: per named update one title and one KB (shared
// `Arc<str>`s), per named category one title. Both catalogs' package.xml
// records are dropped before any shard is read, OLD's names are written into
// the report and dropped before NEW's shards are read, and nothing is kept
// per missing fragment but a count and the first few RevisionIds.

/// How many RevisionIds or UpdateIds a note lists before "(N in all)".
const NOTE_FIRST: usize = 5;

/// What one catalog is asked to name.
#[derive(Default)]
struct Wanted {
    /// RevisionIds of the updates named from this catalog.
    revisions: BTreeSet<u64>,
    /// UpdateIds of the categories named from it, as written.
    categories: BTreeSet<String>,
}

/// What OLD and NEW are asked to name: OLD what only it holds (removed,
/// expired, categories removed), NEW the rest; at most `limit` items of
/// each section, in the order the human report shows them.
fn wanted(r: &DiffReport, limit: Option<usize>) -> (Wanted, Wanted) {
    let take = limit.unwrap_or(usize::MAX);
    let (mut old, mut new) = (Wanted::default(), Wanted::default());
    for b in r
        .removed
        .iter()
        .take(take)
        .chain(r.newly_expired.iter().take(take))
    {
        old.revisions.insert(b.revision_id);
    }
    for b in r
        .added
        .iter()
        .take(take)
        .chain(r.newly_superseded.iter().take(take))
    {
        new.revisions.insert(b.revision_id);
    }
    new.revisions
        .extend(r.revised.iter().take(take).map(|v| v.new_revision_id));
    new.revisions.extend(
        shown_indices(&r.attribute_changes)
            .into_iter()
            .take(take)
            .map(|i| r.attribute_changes[i].revision_id),
    );
    for list in [&r.products_removed, &r.classifications_removed] {
        old.categories.extend(list.iter().take(take).cloned());
    }
    for list in [&r.products_added, &r.classifications_added] {
        new.categories.extend(list.iter().take(take).cloned());
    }
    (old, new)
}

/// What one catalog's records say that naming needs: the RevisionIds of
/// the wanted categories, and the DefaultLanguage of wanted updates whose
/// own is neither the requested language nor English.
struct Plan {
    wanted: Wanted,
    /// Category UpdateId (lowercase) → its RevisionId in this catalog.
    categories: HashMap<String, u64>,
    defaults: HashMap<u64, Box<str>>,
}

impl Plan {
    fn of(side: &Side, wanted: Wanted, lang: &str) -> Plan {
        let lower: HashSet<String> = wanted
            .categories
            .iter()
            .map(|id| id.to_ascii_lowercase())
            .collect();
        let mut categories: HashMap<String, u64> = HashMap::new();
        let mut defaults = HashMap::new();
        for r in &side.records {
            if !lower.is_empty() {
                let id = r.update_id.to_ascii_lowercase();
                if lower.contains(&id) {
                    // Several revisions of one category: the latest names it.
                    let rev = categories.entry(id).or_insert(r.revision_id);
                    *rev = (*rev).max(r.revision_id);
                }
            }
            if wanted.revisions.contains(&r.revision_id) {
                if let Some(l) = r.default_language() {
                    if l != lang && l != "en" {
                        defaults.insert(r.revision_id, l.into());
                    }
                }
            }
        }
        Plan {
            wanted,
            categories,
            defaults,
        }
    }

    /// The request for the wanted fragments. The wanted RevisionIds move
    /// into it (a pair that differs in every update wants hundreds of
    /// thousands); [`Plan::restore`] takes them back.
    fn request(&mut self, lang: &str) -> (Request, Vec<u64>) {
        let mut request = Request {
            extended: true,
            ..Request::default()
        };
        request.languages.insert(lang.to_string());
        request.languages.insert("en".to_string());
        request
            .languages
            .extend(self.defaults.values().map(|l| l.to_string()));
        request.revisions = std::mem::take(&mut self.wanted.revisions);
        let mut categories_only = Vec::new();
        for &rev in self.categories.values() {
            if request.revisions.insert(rev) {
                categories_only.push(rev);
            }
        }
        (request, categories_only)
    }

    /// Takes back the wanted RevisionIds from `request`.
    fn restore(&mut self, request: Request, categories_only: &[u64]) {
        self.wanted.revisions = request.revisions;
        for rev in categories_only {
            self.wanted.revisions.remove(rev);
        }
    }
}

/// One catalog's names, as read from its shards.
struct SideNames<'a> {
    plan: &'a Plan,
    lang: &'a str,
    gathered: Gathered,
    shards: ShardReport,
}

impl SideNames<'_> {
    /// An update's title and KB.
    fn update(&self, rev: u64) -> (Option<Arc<str>>, Option<Arc<str>>) {
        let fallback = self.plan.defaults.get(&rev).map(|l| &**l);
        let title = self
            .gathered
            .title(rev, self.lang, fallback)
            .map(|(t, _)| t.clone());
        let kb = self.gathered.extended(rev).and_then(|(kb, _)| kb.clone());
        (title, kb)
    }

    /// A category's title.
    fn category(&self, id: &str) -> Option<Arc<str>> {
        let rev = self.plan.categories.get(&id.to_ascii_lowercase())?;
        self.gathered
            .title(*rev, self.lang, None)
            .map(|(t, _)| t.clone())
    }

    /// What could not be found, one note per cause.
    fn notes(&self, label: &str) -> Vec<String> {
        let mut notes = Vec::new();
        for (shard, revs) in &self.shards.missing_shards {
            notes.push(format!(
                "{label}: {shard}, which index.xml names, is not in the catalog: no title or KB \
                 for RevisionId {}",
                first(revs)
            ));
        }
        if !self.shards.unmapped.is_empty() {
            notes.push(format!(
                "{label}: RevisionId {} below every RANGESTART in index.xml: no shard holds \
                 their fragments, so no title or KB",
                first(&self.shards.unmapped)
            ));
        }
        let readable = |rev: &u64| names::shard_note(*rev, &self.shards).is_none();
        let updates: Vec<u64> = self
            .plan
            .wanted
            .revisions
            .iter()
            .copied()
            .filter(readable)
            .collect();
        let untitled: Vec<u64> = updates
            .iter()
            .copied()
            .filter(|&r| self.update(r).0.is_none())
            .collect();
        if !untitled.is_empty() {
            notes.push(format!(
                "{label}: no title found for {} of {} update(s) named (no l\\{}\\<RevisionId> \
                 fragment with a Title, nor in the update's DefaultLanguage or en): RevisionId {}",
                untitled.len(),
                self.plan.wanted.revisions.len(),
                self.lang,
                first(&untitled)
            ));
        }
        let unextended: Vec<u64> = updates
            .iter()
            .copied()
            .filter(|&r| self.gathered.extended(r).is_none())
            .collect();
        if !unextended.is_empty() {
            notes.push(format!(
                "{label}: no extended fragment x\\<RevisionId> (so no KB) for {} of {} update(s) \
                 named: RevisionId {}",
                unextended.len(),
                self.plan.wanted.revisions.len(),
                first(&unextended)
            ));
        }
        let (mut absent, mut untitled) = (Vec::new(), Vec::new());
        for id in &self.plan.wanted.categories {
            match self.plan.categories.get(&id.to_ascii_lowercase()) {
                None => absent.push(id.as_str()),
                Some(rev) if readable(rev) && self.category(id).is_none() => {
                    untitled.push(format!("{id} (RevisionId {rev})"));
                }
                Some(_) => {}
            }
        }
        if !absent.is_empty() {
            notes.push(format!(
                "{label}: {} categor{} with no update of its own in the catalog, so no title: {}",
                absent.len(),
                if absent.len() == 1 { "y" } else { "ies" },
                first(&absent)
            ));
        }
        if !untitled.is_empty() {
            let fragments = if self.lang == "en" {
                "l\\en\\".to_string()
            } else {
                format!("l\\{}\\ or l\\en\\", self.lang)
            };
            notes.push(format!(
                "{label}: no title found for {} categor{} (no {fragments} fragment with a \
                 Title): {}",
                untitled.len(),
                if untitled.len() == 1 { "y" } else { "ies" },
                first(&untitled)
            ));
        }
        notes
    }
}

/// The first [`NOTE_FIRST`] items, then how many in all when there are
/// more.
fn first<T: std::fmt::Display>(items: &[T]) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(NOTE_FIRST)
        .map(ToString::to_string)
        .collect();
    if items.len() > NOTE_FIRST {
        format!("{}, … ({} in all)", shown.join(", "), items.len())
    } else {
        shown.join(", ")
    }
}

/// A catalog's index.xml and preflight, its records dropped.
fn into_index(side: Side) -> (Index, Option<Preflighted>) {
    (side.index, side.preflighted)
}

/// Reads the names `plan` asks for from the shards of the catalog at
/// `path`.
fn read_names<'a>(
    path: &Path,
    index: &Index,
    plan: &'a mut Plan,
    options: &'a DiffOptions,
) -> Result<SideNames<'a>> {
    let (request, categories_only) = plan.request(&options.lang);
    let read = Catalog::open(path).and_then(|catalog| {
        names::gather(
            &catalog,
            index,
            &request,
            &HashSet::new(),
            options.scan.threads,
        )
    });
    plan.restore(request, &categories_only);
    let (gathered, shards) = read?;
    let plan: &Plan = plan;
    Ok(SideNames {
        plan,
        lang: &options.lang,
        gathered,
        shards,
    })
}

/// Names what changed: OLD's shards name what only OLD holds, NEW's the
/// rest. A shard that cannot be read is a note, not a failure: the diff is
/// complete without names. A file that changed since it was checked is an
/// error, as everywhere: its names would not be the checked file's.
fn name_changes(
    r: &mut DiffReport,
    (old_path, a): (&Path, Side),
    (new_path, b): (&Path, Side),
    options: &DiffOptions,
) -> Result<()> {
    let (want_old, want_new) = wanted(r, options.name_limit);
    let (mut plan_old, mut plan_new) = (
        Plan::of(&a, want_old, &options.lang),
        Plan::of(&b, want_new, &options.lang),
    );
    let ((index_old, pre_old), (index_new, pre_new)) = (into_index(a), into_index(b));
    let recheck = |path: &Path, pre: Option<Preflighted>| match pre {
        Some(pre) => integrity::recheck(path, &pre),
        None => Ok(()),
    };
    let take = options.name_limit.unwrap_or(usize::MAX);
    if !plan_old.wanted.revisions.is_empty() || !plan_old.wanted.categories.is_empty() {
        match read_names(old_path, &index_old, &mut plan_old, options) {
            Ok(n) => {
                for u in r.removed.iter_mut().take(take) {
                    (u.title, u.kb) = n.update(u.revision_id);
                }
                for u in r.newly_expired.iter_mut().take(take) {
                    (u.title, u.kb) = n.update(u.revision_id);
                }
                for list in [&r.products_removed, &r.classifications_removed] {
                    for id in list.iter().take(take) {
                        if let Some(t) = n.category(id) {
                            r.category_titles.insert(id.clone(), t);
                        }
                    }
                }
                r.notes.extend(n.notes("OLD"));
            }
            Err(e) => r.notes.push(format!(
                "OLD: its shards could not be read, so what only OLD holds is not named: {e}"
            )),
        }
        recheck(old_path, pre_old)?;
    }
    if !plan_new.wanted.revisions.is_empty() || !plan_new.wanted.categories.is_empty() {
        match read_names(new_path, &index_new, &mut plan_new, options) {
            Ok(n) => {
                for u in r.added.iter_mut().take(take) {
                    (u.title, u.kb) = n.update(u.revision_id);
                }
                for u in r.newly_superseded.iter_mut().take(take) {
                    (u.title, u.kb) = n.update(u.revision_id);
                }
                for v in r.revised.iter_mut().take(take) {
                    (v.title, v.kb) = n.update(v.new_revision_id);
                }
                for i in shown_indices(&r.attribute_changes).into_iter().take(take) {
                    let c = &mut r.attribute_changes[i];
                    (c.title, c.kb) = n.update(c.revision_id);
                }
                for list in [&r.products_added, &r.classifications_added] {
                    for id in list.iter().take(take) {
                        if let Some(t) = n.category(id) {
                            r.category_titles.insert(id.clone(), t);
                        }
                    }
                }
                r.notes.extend(n.notes("NEW"));
            }
            Err(e) => r.notes.push(format!(
                "NEW: its shards could not be read, so what NEW holds is not named: {e}"
            )),
        }
        recheck(new_path, pre_new)?;
    }
    Ok(())
}

#[cfg(test)]
mod name_tests {
    use super::*;

    /// What naming could not find is one note per cause and catalog, never
    /// one per item, and says which shard, fragment or category it is.
    #[test]
    fn missing_names_are_notes_one_per_cause() {
        let mut wanted = Wanted::default();
        wanted.revisions.extend([10, 11, 12, 13, 14, 15, 20]);
        wanted.categories.insert("AAAA-1".to_string());
        wanted.categories.insert("bbbb-2".to_string());
        let plan = Plan {
            wanted,
            categories: HashMap::from([("aaaa-1".to_string(), 30)]),
            defaults: HashMap::new(),
        };
        let mut shards = ShardReport::default();
        shards
            .missing_shards
            .insert("package3.cab".to_string(), vec![20]);
        let n = SideNames {
            plan: &plan,
            lang: "en",
            gathered: Gathered::default(),
            shards,
        };
        assert_eq!(n.update(10), (None, None));
        assert_eq!(n.category("aaaa-1"), None);
        assert_eq!(
            n.notes("NEW"),
            [
                "NEW: package3.cab, which index.xml names, is not in the catalog: no title or KB \
                 for RevisionId 20",
                "NEW: no title found for 6 of 7 update(s) named (no l\\en\\<RevisionId> fragment \
                 with a Title, nor in the update's DefaultLanguage or en): RevisionId 10, 11, 12, \
                 13, 14, … (6 in all)",
                "NEW: no extended fragment x\\<RevisionId> (so no KB) for 6 of 7 update(s) named: \
                 RevisionId 10, 11, 12, 13, 14, … (6 in all)",
                "NEW: 1 category with no update of its own in the catalog, so no title: bbbb-2",
                "NEW: no title found for 1 category (no l\\en\\ fragment with a Title): \
                 AAAA-1 (RevisionId 30)",
            ]
        );
    }

    /// Only the items the human report shows are named under a limit, in
    /// its order: DeploymentAction changes first.
    #[test]
    fn a_limit_names_the_shown_items() {
        let change = |rev: u64, attribute: &str| AttributeChange {
            update_id: format!("u{rev}"),
            revision_id: rev,
            attribute: attribute.to_string(),
            old: None,
            new: Some("x".to_string()),
            title: None,
            kb: None,
        };
        let brief = |rev: u64| UpdateBrief {
            update_id: format!("u{rev}"),
            revision_id: rev,
            revision_number: None,
            title: None,
            kb: None,
        };
        let summary = CatalogSummary {
            path: String::new(),
            package_id: None,
            creation_date: None,
            updates: 0,
        };
        let r = DiffReport {
            old: summary.clone(),
            new: summary,
            added: vec![brief(1), brief(2), brief(3)],
            removed: vec![brief(4), brief(5)],
            revised: Vec::new(),
            attribute_changes: vec![change(6, "IsBeta"), change(7, "DeploymentAction")],
            newly_superseded: Vec::new(),
            newly_expired: Vec::new(),
            products_added: vec!["p1".to_string(), "p2".to_string()],
            products_removed: Vec::new(),
            classifications_added: Vec::new(),
            classifications_removed: vec!["c1".to_string()],
            root_changes: Vec::new(),
            shard_changes: Vec::new(),
            vocabulary: Vec::new(),
            category_titles: BTreeMap::new(),
            notes: Vec::new(),
        };
        let (old, new) = wanted(&r, Some(1));
        assert_eq!(old.revisions, BTreeSet::from([4]));
        assert_eq!(new.revisions, BTreeSet::from([1, 7]));
        assert_eq!(new.categories, BTreeSet::from(["p1".to_string()]));
        assert_eq!(old.categories, BTreeSet::from(["c1".to_string()]));
        let (old, new) = wanted(&r, None);
        assert_eq!(old.revisions, BTreeSet::from([4, 5]));
        assert_eq!(new.revisions, BTreeSet::from([1, 2, 3, 6, 7]));
    }
}
