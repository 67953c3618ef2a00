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
//! "Expired" is defined from the two package.xml files alone: an update that
//! was superseded in OLD and is absent from NEW. (WSUS expires superseded
//! updates by removing them from the catalog; package.xml has no expiry
//! flag.) Every expired update is also counted as removed.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use crate::catalog::index::{Index, IndexEntry};
use crate::catalog::package::parse::Element;
use crate::catalog::package::scan::{scan, ScanOptions, Visitor};
use crate::catalog::package::RootInfo;
use crate::catalog::update::{RefKind, Update};
use crate::catalog::Catalog;
use crate::error::Result;
use crate::rules::vocab::{Collector, Term, Vocabulary};

/// One update's facts that `diff` compares.
struct Record {
    update_id: String,
    revision_id: u64,
    revision_number: Option<u64>,
    /// Every other attribute, sorted by name: `name\0value\0`…
    attributes: String,
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
            attributes.push_str(n);
            attributes.push('\0');
            attributes.push_str(v);
            attributes.push('\0');
        }
        Record {
            update_id: u.get("UpdateId").unwrap_or_default().to_string(),
            revision_id: u.revision_id().unwrap_or_default(),
            revision_number: u.get("RevisionNumber").and_then(|v| v.parse().ok()),
            attributes,
            superseded: u.refs(RefKind::SupersededBy).next().is_some(),
        }
    }

    fn attribute_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut parts = self.attributes.split('\0');
        std::iter::from_fn(move || {
            let n = parts.next().filter(|n| !n.is_empty())?;
            Some((n, parts.next().unwrap_or_default()))
        })
    }

    fn brief(&self) -> UpdateBrief {
        UpdateBrief {
            update_id: self.update_id.clone(),
            revision_id: self.revision_id,
            revision_number: self.revision_number,
        }
    }
}

struct Reader {
    records: Vec<Record>,
    categories: BTreeSet<(String, String)>,
    vocabulary: Collector,
}

impl Visitor for Reader {
    fn wants_elements(&self) -> bool {
        true
    }

    fn element(&mut self, element: &Element<'_>) {
        self.vocabulary.element(element);
    }

    fn update(&mut self, u: &Update) {
        self.vocabulary.update(u);
        self.records.push(Record::of(u));
        for (ty, id) in u.categories() {
            if matches!(ty, "Product" | "UpdateClassification") {
                self.categories.insert((ty.to_string(), id.to_string()));
            }
        }
    }
}

/// One catalog, read for comparison.
struct Side {
    records: Vec<Record>,
    categories: BTreeSet<(String, String)>,
    vocabulary: Vocabulary,
    root: RootInfo,
    index: Index,
}

fn read(path: &Path, options: &ScanOptions) -> Result<Side> {
    let catalog = Catalog::open(path)?;
    let index_bytes = catalog.read_index_xml()?;
    let index = Index::parse(&index_bytes).map_err(|e| e.with_file(path))?;
    let mut xml = catalog.stream_package_xml()?;
    let new_reader = || Reader {
        records: Vec::new(),
        categories: BTreeSet::new(),
        vocabulary: Collector::default(),
    };
    let scanned = scan(&mut xml, options, &new_reader, None)
        .map_err(|e| crate::catalog::scan_error(e, path))?;
    let mut side = Side {
        records: Vec::new(),
        categories: BTreeSet::new(),
        vocabulary: Vocabulary::default(),
        root: scanned.document.root.clone(),
        index,
    };
    for r in scanned.visitors {
        side.records.extend(r.records);
        side.categories.extend(r.categories);
        side.vocabulary.absorb(r.vocabulary);
    }
    side.vocabulary.add_root(&side.root);
    side.vocabulary
        .add_index(&index_bytes)
        .map_err(|e| e.with_file(path))?;
    side.records.sort_unstable_by(|a, b| {
        (a.update_id.as_str(), a.revision_id).cmp(&(b.update_id.as_str(), b.revision_id))
    });
    Ok(side)
}

/// Who a catalog is.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CatalogSummary {
    pub path: String,
    pub package_id: Option<String>,
    pub creation_date: Option<String>,
    pub updates: u64,
}

/// An update as `diff` names it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UpdateBrief {
    pub update_id: String,
    pub revision_id: u64,
    pub revision_number: Option<u64>,
}

/// The same UpdateId with another revision.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Revised {
    pub update_id: String,
    pub old_revision_id: u64,
    pub new_revision_id: u64,
    pub old_revision_number: Option<u64>,
    pub new_revision_number: Option<u64>,
}

/// An attribute of a matched update that changed; `None` is absent.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AttributeChange {
    pub update_id: String,
    /// In NEW.
    pub revision_id: u64,
    pub attribute: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A root attribute that changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RootChange {
    pub attribute: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// An index.xml entry that appeared, disappeared or changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ShardChange {
    pub name: String,
    pub old: Option<IndexEntry>,
    pub new: Option<IndexEntry>,
}

/// Something NEW uses that OLD never did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Novelty {
    pub rule: String,
    pub subject: String,
    pub term: Term,
    pub updates: u64,
    pub occurrences: u64,
    /// The first updates carrying it, sorted.
    pub first: Vec<u64>,
}

/// Everything `diff` found. Every list is sorted.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DiffReport {
    pub old: CatalogSummary,
    pub new: CatalogSummary,
    pub added: Vec<UpdateBrief>,
    pub removed: Vec<UpdateBrief>,
    pub revised: Vec<Revised>,
    pub attribute_changes: Vec<AttributeChange>,
    pub newly_superseded: Vec<UpdateBrief>,
    pub newly_expired: Vec<UpdateBrief>,
    pub products_added: Vec<String>,
    pub products_removed: Vec<String>,
    pub classifications_added: Vec<String>,
    pub classifications_removed: Vec<String>,
    pub root_changes: Vec<RootChange>,
    pub shard_changes: Vec<ShardChange>,
    pub vocabulary: Vec<Novelty>,
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
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Threads in total; each catalog gets half.
    pub scan: ScanOptions,
}

fn summary(path: &Path, side: &Side) -> CatalogSummary {
    CatalogSummary {
        path: path.display().to_string(),
        package_id: side.root.get("PackageId").map(str::to_string),
        creation_date: side.root.get("CreationDate").map(str::to_string),
        updates: side.records.len() as u64,
    }
}

/// Compares the catalogs at `old` and `new`. Fails closed: either catalog
/// unreadable is an error, never a partial diff.
pub fn diff(old: &Path, new: &Path, options: &DiffOptions) -> Result<DiffReport> {
    let mut half = options.scan;
    half.threads = (options.scan.threads / 2).max(1);
    let (a, b) = if options.scan.threads <= 1 {
        (read(old, &half), read(new, &half))
    } else {
        std::thread::scope(|s| {
            let other = s.spawn(|| read(old, &half));
            let b = read(new, &half);
            (other.join().expect("reading does not panic"), b)
        })
    };
    let (a, b) = (a?, b?);
    Ok(compare(summary(old, &a), summary(new, &b), a, b))
}

fn compare(
    old_summary: CatalogSummary,
    new_summary: CatalogSummary,
    a: Side,
    b: Side,
) -> DiffReport {
    let mut r = DiffReport {
        old: old_summary,
        new: new_summary,
        added: Vec::new(),
        removed: Vec::new(),
        revised: Vec::new(),
        attribute_changes: Vec::new(),
        newly_superseded: Vec::new(),
        newly_expired: Vec::new(),
        products_added: Vec::new(),
        products_removed: Vec::new(),
        classifications_added: Vec::new(),
        classifications_removed: Vec::new(),
        root_changes: Vec::new(),
        shard_changes: Vec::new(),
        vocabulary: Vec::new(),
    };
    let (x, y) = (&a.records, &b.records);
    let (mut i, mut j) = (0, 0);
    while i < x.len() || j < y.len() {
        let key = match (x.get(i), y.get(j)) {
            (Some(p), Some(q)) => p.update_id.as_str().min(q.update_id.as_str()),
            (Some(p), None) => p.update_id.as_str(),
            (None, Some(q)) => q.update_id.as_str(),
            (None, None) => break,
        };
        let i0 = i;
        while i < x.len() && x[i].update_id == key {
            i += 1;
        }
        let j0 = j;
        while j < y.len() && y[j].update_id == key {
            j += 1;
        }
        let (olds, news) = (&x[i0..i], &y[j0..j]);
        let mut pairs: Vec<(&Record, &Record)> = Vec::new();
        let mut lone_old: Vec<&Record> = Vec::new();
        let mut lone_new: Vec<&Record> = news.iter().collect();
        if olds.len() == 1 && news.len() == 1 {
            pairs.push((&olds[0], &news[0]));
            lone_new.clear();
        } else {
            // Several revisions of one update: the same RevisionId pairs up.
            for o in olds {
                match lone_new.iter().position(|n| n.revision_id == o.revision_id) {
                    Some(k) => pairs.push((o, lone_new.remove(k))),
                    None => lone_old.push(o),
                }
            }
        }
        for o in lone_old {
            r.removed.push(o.brief());
            if o.superseded {
                r.newly_expired.push(o.brief());
            }
        }
        for n in lone_new {
            r.added.push(n.brief());
        }
        for (o, n) in pairs {
            if o.revision_id != n.revision_id || o.revision_number != n.revision_number {
                r.revised.push(Revised {
                    update_id: n.update_id.clone(),
                    old_revision_id: o.revision_id,
                    new_revision_id: n.revision_id,
                    old_revision_number: o.revision_number,
                    new_revision_number: n.revision_number,
                });
            }
            if o.attributes != n.attributes {
                let names: BTreeSet<&str> = o
                    .attribute_pairs()
                    .chain(n.attribute_pairs())
                    .map(|(k, _)| k)
                    .collect();
                for name in names {
                    let get = |rec: &Record| {
                        rec.attribute_pairs()
                            .find(|(k, _)| *k == name)
                            .map(|(_, v)| v.to_string())
                    };
                    let (ov, nv) = (get(o), get(n));
                    if ov != nv {
                        r.attribute_changes.push(AttributeChange {
                            update_id: n.update_id.clone(),
                            revision_id: n.revision_id,
                            attribute: name.to_string(),
                            old: ov,
                            new: nv,
                        });
                    }
                }
            }
            if !o.superseded && n.superseded {
                r.newly_superseded.push(n.brief());
            }
        }
    }

    let ids = |s: &Side, ty: &str| -> BTreeSet<String> {
        s.categories
            .iter()
            .filter(|(t, _)| t == ty)
            .map(|(_, id)| id.clone())
            .collect()
    };
    for (ty, added, removed) in [
        ("Product", &mut r.products_added, &mut r.products_removed),
        (
            "UpdateClassification",
            &mut r.classifications_added,
            &mut r.classifications_removed,
        ),
    ] {
        let (p, q) = (ids(&a, ty), ids(&b, ty));
        *added = q.difference(&p).cloned().collect();
        *removed = p.difference(&q).cloned().collect();
    }

    let names: BTreeSet<&str> = a
        .root
        .attributes
        .iter()
        .chain(&b.root.attributes)
        .map(|(n, _)| n.as_str())
        .filter(|n| *n != "xmlns" && !n.starts_with("xmlns:"))
        .collect();
    for name in names {
        let (ov, nv) = (a.root.get(name), b.root.get(name));
        if ov != nv {
            r.root_changes.push(RootChange {
                attribute: name.to_string(),
                old: ov.map(str::to_string),
                new: nv.map(str::to_string),
            });
        }
    }

    let shard_names: BTreeSet<&str> = a
        .index
        .cabs
        .iter()
        .chain(&b.index.cabs)
        .map(|c| c.name.as_str())
        .collect();
    for name in shard_names {
        let find = |i: &Index| i.cabs.iter().find(|c| c.name == name).cloned();
        let (o, n) = (find(&a.index), find(&b.index));
        if o != n {
            r.shard_changes.push(ShardChange {
                name: name.to_string(),
                old: o,
                new: n,
            });
        }
    }

    for (term, tally) in &b.vocabulary.terms {
        if !a.vocabulary.terms.contains_key(term) {
            let mut first = tally.first.clone();
            first.sort_unstable();
            r.vocabulary.push(Novelty {
                rule: term.novelty_rule().to_string(),
                subject: term.describe(),
                term: term.clone(),
                updates: tally.updates,
                occurrences: tally.occurrences,
                first,
            });
        }
    }
    r
}
