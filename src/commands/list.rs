//! `list`: the updates that match a set of filters, with their names.
//!
//! Filters on what package.xml says (RevisionId, UpdateId, DeploymentAction,
//! kind, supersedence) run on the inventory first; only the updates left are
//! named from the shards, in one pass, and the filters that need names (KB,
//! product, classification) run last. So `--revision-id` reads its own
//! shard (and the one holding its categories' titles, when that is another),
//! and a list of everything reads each shard exactly once.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::catalog::fragment::strip_kb;
use crate::catalog::inventory::{self, same_guid, Entry, EntryRef, Inventory, Keep};
use crate::catalog::names::{self, Gathered, Names};
use crate::catalog::package::scan::ScanOptions;
use crate::catalog::shards::ShardReport;
use crate::catalog::update::Kind;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::trust::integrity::{self, TrustOptions};

/// Which updates to list. Every filter that is set must match.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// KBArticleID, with or without "KB".
    pub kb: Option<String>,
    /// An UpdateId, compared without braces, surrounding space or case;
    /// every revision of it matches.
    pub update_id: Option<String>,
    /// Only the update with this RevisionId.
    pub revision_id: Option<u64>,
    /// A product's name (case-insensitive, whole name) or UpdateId.
    pub product: Option<String>,
    /// A classification's name (case-insensitive, whole name) or UpdateId.
    pub classification: Option<String>,
    /// `Some(None)` selects updates without the attribute.
    pub deployment_action: Option<Option<String>>,
    /// `Some(true)`: only updates with a SupersededBy reference;
    /// `Some(false)`: only updates without one.
    pub superseded: Option<bool>,
    /// Only updates of this kind.
    pub kind: Option<Kind>,
}

impl Filters {
    fn needs_names(&self) -> bool {
        self.kb.is_some() || self.product.is_some() || self.classification.is_some()
    }

    fn matches_package(&self, e: EntryRef<'_>) -> bool {
        self.revision_id.is_none_or(|r| e.revision_id() == r)
            && self
                .update_id
                .as_deref()
                .is_none_or(|id| e.has_update_id(id))
            && self
                .deployment_action
                .as_ref()
                .is_none_or(|a| e.deployment_action() == a.as_deref())
            && self
                .superseded
                .is_none_or(|superseded| superseded != e.superseded_by().is_empty())
            && self.kind.is_none_or(|k| e.kind() == k)
    }

    fn matches_names(&self, inv: &Inventory, e: EntryRef<'_>, n: &Names) -> bool {
        let kb = |want: &str| {
            let want = strip_kb(want);
            n.kb.as_deref().is_some_and(|k| strip_kb(k) == want)
        };
        // A category filter matches its name or its UpdateId.
        let category = |ty: &str, want: &str, names: &[&str]| {
            names
                .iter()
                .any(|name| name.eq_ignore_ascii_case(want.trim()))
                || inv
                    .categories_of(e)
                    .any(|(t, id)| t == ty && same_guid(id, want))
        };
        let classifications: Vec<&str> = n
            .classification
            .as_deref()
            .map(|c| c.split("; ").collect())
            .unwrap_or_default();
        let products: Vec<&str> = n.products.iter().map(|p| &**p).collect();
        self.kb.as_deref().is_none_or(kb)
            && self
                .product
                .as_deref()
                .is_none_or(|p| category("Product", p, &products))
            && self
                .classification
                .as_deref()
                .is_none_or(|c| category("UpdateClassification", c, &classifications))
    }
}

/// How to list.
#[derive(Debug, Clone)]
pub struct ListOptions {
    /// Which updates to list.
    pub filters: Filters,
    /// Preferred language for titles.
    pub lang: String,
    /// Read titles and KB numbers from the shards (always done when a filter
    /// needs them).
    pub names: bool,
    /// How to stream package.xml (threads, batch size, limits); its thread
    /// count also reads the shards.
    pub scan: ScanOptions,
    /// What the signature must prove, as for `check`: a list of a damaged
    /// or unsigned download is refused, not printed.
    pub trust: TrustOptions,
}

/// One listed update. Its categories are indices into
/// [`ListReport::categories`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// What package.xml says about the update; its fields are the row's own
    /// in JSON.
    #[serde(flatten)]
    pub entry: Entry,
    /// `None` when names were not read.
    pub names: Option<Names>,
}

/// What `list` found. The rows are not kept: each is made (its entry
/// copied out of the compact inventory, its names looked up) as it is read
/// out, so a list of a full catalog holds one row at a time.
pub struct ListReport {
    /// The catalog's path as the caller gave it.
    pub path: String,
    /// How many `<Update>` elements package.xml holds, matched or not.
    pub updates_in_catalog: u64,
    /// How the shards were read (empty when names were not needed).
    pub shards: ShardReport,
    inv: Inventory,
    /// Indices into `inv` of the updates that match, in RevisionId order.
    matched: Vec<u32>,
    naming: Option<Naming>,
}

/// What naming a row needs.
struct Naming {
    gathered: Gathered,
    categories: HashMap<String, u64>,
    lang: String,
}

impl ListReport {
    /// How many updates match.
    pub fn matched(&self) -> usize {
        self.matched.len()
    }

    /// The updates that match, in RevisionId order (`updates` in JSON),
    /// each made as it is taken.
    pub fn rows(&self) -> impl Iterator<Item = Row> + '_ {
        self.matched.iter().map(|&i| {
            let e = self.inv.at(i as usize);
            Row {
                entry: e.to_entry(),
                names: self.naming.as_ref().map(|n| {
                    n.gathered
                        .names_for(&self.inv.subject(e), &n.categories, &n.lang, &self.shards)
                }),
            }
        })
    }

    /// (Type, UpdateId) of every category the rows refer to.
    pub fn categories(&self) -> &[(String, String)] {
        &self.inv.categories
    }
}

/// Lists the updates of the catalog at `path` that match the filters,
/// after the same size preflight and signature check as `check`.
pub fn list(path: &Path, options: &ListOptions) -> Result<ListReport> {
    let parallel = options.scan.threads > 1;
    let (_, report) = integrity::with_identity(path, &options.trust, parallel, |_| {
        list_content(path, options)
    })?;
    Ok(report)
}

fn list_content(path: &Path, options: &ListOptions) -> Result<ListReport> {
    let catalog = Catalog::open(path)?;
    let inv = inventory::read_catalog(&catalog, &options.scan, &Keep::default())?;
    let filters = &options.filters;
    let updates_in_catalog = inv.len() as u64;
    let index_of = |i: usize| u32::try_from(i).expect("fewer than 2^32 updates");
    let mut matched: Vec<u32> = (0..inv.len())
        .filter(|&i| filters.matches_package(inv.at(i)))
        .map(index_of)
        .collect();
    let want_names = options.names || filters.needs_names();
    let mut shards = ShardReport::default();
    let mut naming = None;
    if want_names && !matched.is_empty() {
        let index = catalog.read_index()?;
        let categories = inv.category_map();
        let request = names::request_for(
            matched.iter().map(|&i| inv.subject(inv.at(i as usize))),
            &categories,
            &options.lang,
        );
        let (gathered, report) = names::gather(
            &catalog,
            &index,
            &request,
            &HashSet::new(),
            options.scan.threads,
        )?;
        drop(request);
        if filters.needs_names() {
            matched.retain(|&i| {
                let e = inv.at(i as usize);
                let n = gathered.names_for(&inv.subject(e), &categories, &options.lang, &report);
                filters.matches_names(&inv, e, &n)
            });
        }
        shards = report;
        naming = Some(Naming {
            gathered,
            categories,
            lang: options.lang.clone(),
        });
    }
    Ok(ListReport {
        path: path.display().to_string(),
        updates_in_catalog,
        shards,
        inv,
        matched,
        naming,
    })
}
