//! `list`: the updates that match a set of filters, with their names.
//!
//! Filters on what package.xml says (RevisionId, UpdateId, DeploymentAction,
//! kind, supersedence) run on the inventory first; only the updates left are
//! named from the shards, in one pass, and the filters that need names (KB,
//! product, classification) run last. So `--revision-id` reads its own
//! shard (and the one holding its categories' titles, when that is another),
//! and a list of everything reads each shard exactly once.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;

use serde::Serialize;

use crate::catalog::fragment::strip_kb;
use crate::catalog::inventory::{self, same_guid, Entry, EntryRef, Inventory, Keep};
use crate::catalog::names::{self, Gathered, Names};
use crate::catalog::package::scan::ScanOptions;
use crate::catalog::shards::{self, Request, ShardRead, ShardReport};
use crate::catalog::update::Kind;
use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind, Result};
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

/// What `list` found. The rows are not kept, and neither are their names:
/// [`ListReport::for_each_row`] reads the shards in RevisionId order (a
/// window of `threads + 1` shards at a time) and makes each row (entry
/// copied out of the compact inventory, names looked up in its own shard's
/// fragments) as it is handed over, then drops the shard. Product and
/// classification names, which every row needs, are read before (they are
/// few).
pub struct ListReport {
    /// The catalog's path as the caller gave it.
    pub path: String,
    /// How many `<Update>` elements package.xml holds, matched or not.
    pub updates_in_catalog: u64,
    inv: Inventory,
    /// Indices into `inv` of the updates that match the filters on
    /// package.xml, in RevisionId order.
    candidates: Vec<u32>,
    filters: Filters,
    naming: Option<Naming>,
    /// How many rows matched, once known: before the rows when no filter
    /// needs names, else after [`ListReport::for_each_row`].
    matched: Cell<Option<usize>>,
    /// How the shards were read, complete after the rows were made.
    shards: RefCell<ShardReport>,
    /// What stopped the rows, when something in the catalog did.
    failure: RefCell<Option<Error>>,
}

/// What naming the rows needs.
struct Naming {
    catalog: Catalog,
    /// The shards holding the candidates' own fragments, in RANGESTART
    /// order.
    jobs: Vec<shards::Job>,
    /// The fragment kinds and languages to read (its revisions are in `jobs`).
    request: Request,
    /// Titles read before the rows: the categories' (products and
    /// classifications), and bundles that are in a later shard than a child
    /// of theirs; bundles in an earlier shard are added as their shard
    /// passes.
    fixed: RefCell<Gathered>,
    /// Bundles whose titles a later shard's rows need.
    carry: HashSet<u64>,
    categories: HashMap<String, u64>,
    lang: String,
    threads: usize,
}

impl ListReport {
    /// How many updates match. When a filter needs names (KB, product,
    /// classification) this is known only once the rows have been made
    /// ([`ListReport::for_each_row`]); until then it is the number that
    /// match the other filters.
    pub fn matched(&self) -> usize {
        self.matched.get().unwrap_or(self.candidates.len())
    }

    /// Whether [`ListReport::matched`] is final before the rows are made.
    pub fn matched_known_before_rows(&self) -> bool {
        self.matched.get().is_some() || !self.filters.needs_names() || self.naming.is_none()
    }

    /// How the shards were read; complete once the rows have been made.
    pub fn shards(&self) -> ShardReport {
        self.shards.borrow().clone()
    }

    /// What in the catalog stopped [`ListReport::for_each_row`], if anything
    /// did (a damaged shard, a fragment over a bound): the writer gets an
    /// I/O error, the caller this.
    pub fn take_failure(&self) -> Option<Error> {
        self.failure.borrow_mut().take()
    }

    /// Whether something in the catalog stopped the rows.
    pub fn failed(&self) -> bool {
        self.failure.borrow().is_some()
    }

    /// Packagewide widths of the RevisionId, Kind and Action cells (those
    /// that need no names), over the rows that may match.
    pub fn package_widths(&self) -> [usize; 3] {
        let mut w = [0usize; 3];
        for &i in &self.candidates {
            let e = self.inv.at(i as usize);
            let digits = e.revision_id().checked_ilog10().unwrap_or(0) as usize + 1;
            w[0] = w[0].max(digits);
            w[1] = w[1].max(e.kind().as_str().chars().count());
            let action = crate::report::show_value(e.deployment_action());
            w[2] = w[2].max(action.chars().count());
        }
        w
    }

    /// (Type, UpdateId) of every category the rows refer to.
    pub fn categories(&self) -> &[(String, String)] {
        &self.inv.categories
    }

    /// Whether the rows carry names.
    pub fn named(&self) -> bool {
        self.naming.is_some()
    }

    /// Hands every matching update to `row`, in RevisionId order, each made
    /// as it is handed over. A failure of `row` is returned as it is; a
    /// damaged shard stops the rows with an I/O error, and
    /// [`ListReport::take_failure`] has the catalog's error.
    pub fn for_each_row(&self, row: &mut dyn FnMut(Row) -> io::Result<()>) -> io::Result<()> {
        let Some(naming) = &self.naming else {
            for &i in &self.candidates {
                row(Row {
                    entry: self.inv.at(i as usize).to_entry(),
                    names: None,
                })?;
            }
            self.matched.set(Some(self.candidates.len()));
            return Ok(());
        };
        let mut count = 0usize;
        let mut pos = 0usize;
        let mut written: Option<io::Error> = None;
        let report = self.shards.borrow().clone();
        // Rows with a RevisionId below `end`, named from `g`.
        let mut emit = |g: &Gathered, end: u64, fixed: &Gathered| -> io::Result<()> {
            while let Some(&i) = self.candidates.get(pos) {
                let e = self.inv.at(i as usize);
                if e.revision_id() >= end {
                    break;
                }
                pos += 1;
                let n = g.names_for_with(
                    fixed,
                    &self.inv.subject(e),
                    &naming.categories,
                    &naming.lang,
                    &report,
                );
                if self.filters.needs_names() && !self.filters.matches_names(&self.inv, e, &n) {
                    continue;
                }
                count += 1;
                row(Row {
                    entry: e.to_entry(),
                    names: Some(n),
                })?;
            }
            Ok(())
        };
        let jobs = &naming.jobs;
        let result = shards::read_in_order(
            &naming.catalog,
            jobs,
            &naming.request,
            naming.threads,
            &|g: &mut Gathered, rev, kind, bytes| g.take(rev, kind, bytes),
            &mut |job, g: Gathered| {
                let k = jobs
                    .iter()
                    .position(|j| std::ptr::eq(j, job))
                    .expect("a planned job");
                let end = jobs.get(k + 1).map_or(u64::MAX, |j| j.range_start);
                let mut fixed = naming.fixed.borrow_mut();
                for &rev in job.revisions().iter().filter(|r| naming.carry.contains(r)) {
                    fixed.keep_names_of(&g, rev);
                }
                emit(&g, end, &fixed).map_err(|e| {
                    written = Some(e);
                    Error::new(ErrorKind::Io, "the report could not be written")
                })
            },
        );
        let result = match result {
            Ok((reads, opens)) => {
                let mut r = self.shards.borrow_mut();
                merge_reads(&mut r, reads, opens);
                // Rows after the last shard read (or all of them, when no
                // shard could be read): nothing to name them from.
                emit(&Gathered::default(), u64::MAX, &naming.fixed.borrow())
            }
            Err(e) => match written.take() {
                Some(io) => Err(io),
                None => {
                    let message = e.to_string();
                    *self.failure.borrow_mut() = Some(e);
                    Err(io::Error::other(message))
                }
            },
        };
        if result.is_ok() {
            self.matched.set(Some(count));
        }
        result
    }
}

/// Adds the shards read for the rows to those read before them: a shard
/// read by both passes is one entry with both passes' counts.
fn merge_reads(report: &mut ShardReport, reads: Vec<ShardRead>, outer_opens: usize) {
    for read in reads {
        match report.shards.iter_mut().find(|s| s.name == read.name) {
            Some(s) => {
                s.revisions += read.revisions;
                s.fragments += read.fragments;
                s.folders_decoded += read.folders_decoded;
            }
            None => report.shards.push(read),
        }
    }
    report.shards.sort_by_key(|s| s.range_start);
    report.outer_folders_decoded += outer_opens;
}

/// Lists the updates of the catalog at `path` that match the filters,
/// after the same size preflight and signature check as `check`. Names are
/// read as the rows are made ([`ListReport::for_each_row`]); only the
/// categories' names are read here.
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
    let candidates: Vec<u32> = (0..inv.len())
        .filter(|&i| filters.matches_package(inv.at(i)))
        .map(index_of)
        .collect();
    let want_names = options.names || filters.needs_names();
    let mut shards = ShardReport::default();
    let mut naming = None;
    let mut matched = Some(candidates.len());
    if want_names && !candidates.is_empty() {
        let (n, report) = naming_for(catalog, &inv, &candidates, options)?;
        shards = report;
        naming = Some(n);
        if filters.needs_names() {
            matched = None;
        }
    }
    Ok(ListReport {
        path: path.display().to_string(),
        updates_in_catalog,
        inv,
        candidates,
        filters: filters.clone(),
        naming,
        matched: Cell::new(matched),
        shards: RefCell::new(shards),
        failure: RefCell::new(None),
    })
}

/// Reads the categories' titles (and those of bundles in a later shard
/// than a child of theirs), and plans the shards the rows are named from.
fn naming_for(
    catalog: Catalog,
    inv: &Inventory,
    candidates: &[u32],
    options: &ListOptions,
) -> Result<(Naming, ShardReport)> {
    let index = catalog.read_index()?;
    let categories = inv.category_map();
    // Which shard (by RANGESTART) holds a revision; None: none does.
    let shard_of = |rev: u64| index.shard_for(rev).and_then(|e| e.range_start);
    let lang = &options.lang;
    // The rows' own fragments and their bundles in the same or an
    // earlier shard: read shard by shard with the rows.
    let mut rows = Request {
        extended: true,
        ..Request::default()
    };
    // The categories' titles and bundles in a later shard: read first.
    let mut first = Request {
        extended: false,
        ..Request::default()
    };
    let mut carry = HashSet::new();
    // Ascending without duplicates once sorted: 8 bytes a revision.
    let mut wanted: Vec<u64> = Vec::with_capacity(candidates.len());
    for &i in candidates {
        let s = inv.subject(inv.at(i as usize));
        wanted.push(s.revision_id);
        for (ty, id) in &s.categories {
            if ty == "Product" || ty == "UpdateClassification" {
                if let Some(&r) = categories.get(&id.to_ascii_lowercase()) {
                    first.revisions.insert(r);
                }
            }
        }
        if let Some(b) = s.bundled_by {
            let (own, theirs) = (shard_of(s.revision_id), shard_of(b));
            if theirs > own {
                first.revisions.insert(b);
            } else {
                if theirs < own {
                    carry.insert(b);
                }
                wanted.push(b);
            }
        }
        for l in [
            Some(lang.as_str()),
            Some("en"),
            s.default_language.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            if !rows.languages.contains(l) {
                rows.languages.insert(l.to_string());
            }
        }
    }
    first.languages = rows.languages.clone();
    let (fixed, first_report) = names::gather(
        &catalog,
        &index,
        &first,
        &HashSet::new(),
        options.scan.threads,
    )?;
    drop(first);
    wanted.sort_unstable();
    wanted.dedup();
    let (jobs, mut report) = shards::plan_sorted(&catalog, &index, std::sync::Arc::new(wanted))?;
    // What the first pass read and could not map joins the report.
    for (name, revs) in first_report.missing_shards {
        let list = report.missing_shards.entry(name).or_default();
        list.extend(revs);
        list.sort_unstable();
        list.dedup();
    }
    report.unmapped.extend(first_report.unmapped);
    report.unmapped.sort_unstable();
    report.unmapped.dedup();
    merge_reads(
        &mut report,
        first_report.shards,
        first_report.outer_folders_decoded,
    );
    Ok((
        Naming {
            catalog,
            jobs,
            request: rows,
            fixed: RefCell::new(fixed),
            carry,
            categories,
            lang: options.lang.clone(),
            threads: options.scan.threads,
        },
        report,
    ))
}
