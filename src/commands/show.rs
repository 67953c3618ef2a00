//! `show`: everything the catalog knows about one update.
//!
//! The update is found by RevisionId or UpdateId in package.xml, or by KB
//! article in the extended fragments (which means reading every `x\`
//! fragment: KB numbers are nowhere else). Its references are resolved to
//! names in the same single pass over the shards that reads its own
//! fragments.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use crate::catalog::fragment::strip_kb;
use crate::catalog::fragment::{self, Facts};
use crate::catalog::inventory::{self, same_guid, Detail, Entry, EntryRef, Inventory, Keep};
use crate::catalog::names::{self, Gathered, Names};
use crate::catalog::package::scan::ScanOptions;
use crate::catalog::shards::{self, Request, ShardReport};
use crate::catalog::update::{RefKind, Update};
use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind, Result};
use crate::trust::integrity::{self, TrustOptions};

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A RevisionId: one revision of one update.
    RevisionId(u64),
    /// An UpdateId (a GUID, braces removed); its current revision, the one
    /// with the highest RevisionNumber, is shown.
    UpdateId(String),
    /// A KB article number, without "KB".
    Kb(String),
}

impl Target {
    /// `1293995`, `{guid}` / `guid`, or `KB5058379`.
    pub fn parse(s: &str) -> Result<Target> {
        let s = s.trim();
        if s.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("kb")) {
            let digits = &s[2..];
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(Target::Kb(digits.to_string()));
            }
        } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = s.parse() {
                return Ok(Target::RevisionId(n));
            }
        } else {
            let bare = s.trim_start_matches('{').trim_end_matches('}');
            if bare.len() == 36 && bare.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
                return Ok(Target::UpdateId(bare.to_string()));
            }
        }
        Err(Error::new(
            ErrorKind::Usage,
            format!("{s:?} is not a RevisionId (a number), an UpdateId (a GUID) or a KB article (KB1234567)"),
        ))
    }
}

/// Another update, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    /// Its RevisionId; `None` when a prerequisite or category names an
    /// UpdateId the catalog does not hold, or a reference's Id is not a
    /// number.
    pub revision_id: Option<u64>,
    /// Its UpdateId; `None` when a RevisionId reference points to a
    /// revision the catalog does not hold (or one without an UpdateId), or
    /// its Id is not a number.
    pub update_id: Option<String>,
    /// Whether the catalog holds it (a SupersededBy reference may point to
    /// a revision that is not there).
    pub in_catalog: bool,
    /// Its title from its `l\<lang>\` fragment; `None` when it is not in
    /// the catalog or no title was found.
    pub title: Option<String>,
    /// Category Type, or the prerequisite's `Or` group (`group N`, 0:
    /// required), or why a reference could not be followed (`unreadable
    /// RevisionId "…"`); left out of JSON when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A payload file and where it is downloaded from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payload {
    /// `PayloadFiles/File/@Id`: base64 of the file's SHA-1.
    pub id: String,
    /// The `Url` of the `<FileLocation>` with that Id; `None` when
    /// package.xml has none.
    pub url: Option<String>,
}

/// One fragment, raw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawFragment {
    /// Its member name in the shard (`c\1293995`, `l\en\1293995`,
    /// `x\1293995`).
    pub member: String,
    /// Its text as stored, read as UTF-8 (invalid bytes replaced).
    pub text: String,
}

/// Everything about one update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shown {
    /// What package.xml says, compactly (as `list` shows it).
    pub entry: Entry,
    /// Every attribute and reference of its `<Update>`, and the children
    /// wsuscat does not know.
    pub detail: Detail,
    /// The shard that holds its fragments by index.xml's RANGESTARTs;
    /// `None` when its RevisionId is below every RANGESTART.
    pub shard: Option<String>,
    /// Its title, KB article, MSRC severity, classification, products and
    /// bundle, with notes on what could not be found.
    pub names: Names,
    /// The updates its `<Prerequisites>` name, in document order, each with
    /// its `Or` group as the detail.
    pub prerequisites: Vec<Related>,
    /// The categories its `<Categories>` name, each with its Type as the
    /// detail.
    pub categories: Vec<Related>,
    /// The revisions its `<SupersededBy>` names: the updates that replace
    /// it.
    pub superseded_by: Vec<Related>,
    /// The updates that name it in their `<SupersededBy>`: the ones it
    /// replaces, in RevisionId order.
    pub supersedes: Vec<Related>,
    /// The bundles its `<BundledBy>` names.
    pub bundled_by: Vec<Related>,
    /// The updates that name it in their `<BundledBy>`: its bundled
    /// children, in RevisionId order.
    pub bundles: Vec<Related>,
    /// Its payload files and their download URLs.
    pub payload: Vec<Payload>,
    /// Its own fragments, sorted by member name: `c\`, `e\<lang>\`,
    /// `l\<lang>\` and `x\` for the languages read.
    pub fragments: Vec<RawFragment>,
}

/// What `show` found: one update, or every update carrying a KB article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShowReport {
    /// The catalog's path as the caller gave it.
    pub path: String,
    /// The updates shown, in RevisionId order: one, or for a KB article
    /// every update whose `x\` fragment names it.
    pub updates: Vec<Shown>,
    /// How the shards were read to name them.
    pub shards: ShardReport,
}

/// How to show.
#[derive(Debug, Clone)]
pub struct ShowOptions {
    /// Preferred language of titles (`--lang`, `en` by default); each
    /// update's DefaultLanguage, then `en`, are tried after it.
    pub lang: String,
    /// How to stream package.xml (threads, batch size, limits); its thread
    /// count also reads the shards.
    pub scan: ScanOptions,
    /// What the signature must prove, as for `check`.
    pub trust: TrustOptions,
}

/// Shows the update `target` names in the catalog at `path`.
pub fn show(path: &Path, target: &Target, options: &ShowOptions) -> Result<ShowReport> {
    let parallel = options.scan.threads > 1;
    let (_, report) = integrity::with_identity(path, &options.trust, parallel, |_| {
        show_content(path, target, options)
    })?;
    Ok(report)
}

fn show_content(path: &Path, target: &Target, options: &ShowOptions) -> Result<ShowReport> {
    let catalog = Catalog::open(path)?;
    let index = catalog.read_index()?;
    let threads = options.scan.threads;
    let not_found = |what: String| {
        Error::new(
            ErrorKind::NotFound,
            format!("no update with {what} in the catalog"),
        )
        .with_file(path)
    };
    // KB numbers are only in the shards: finding them takes a pass of its
    // own. RevisionIds and UpdateIds are found in the pass that keeps the
    // details.
    let kb_revisions = match target {
        Target::Kb(kb) => {
            let inv = inventory::read_catalog(&catalog, &options.scan, &Keep::default())?;
            let found = revisions_with_kb(&catalog, &inv, &index, kb, threads)?;
            if found.is_empty() {
                return Err(not_found(format!("KBArticleID {kb}")));
            }
            found
        }
        _ => BTreeSet::new(),
    };
    let select = |u: &Update| match target {
        Target::RevisionId(r) => u.revision_id() == Some(*r),
        Target::UpdateId(id) => u.get("UpdateId").is_some_and(|v| same_guid(v, id)),
        Target::Kb(_) => u.revision_id().is_some_and(|r| kb_revisions.contains(&r)),
    };
    let keep = Keep {
        detail: Some(&select),
        file_locations: false,
    };
    let mut inv = inventory::read_catalog(&catalog, &options.scan, &keep)?;
    match target {
        Target::RevisionId(r) if inv.details.is_empty() => {
            return Err(not_found(format!("RevisionId {r}")));
        }
        Target::UpdateId(id) => {
            // Several revisions of one UpdateId: its current one is shown.
            let current = inv
                .by_update_id(id)
                .map(EntryRef::revision_id)
                .ok_or_else(|| not_found(format!("UpdateId {id}")))?;
            inv.details.retain(|d| d.revision_id == current);
        }
        _ => {}
    }
    let revisions: BTreeSet<u64> = inv.details.iter().map(|d| d.revision_id).collect();
    inv.file_locations = payload_locations(&catalog, &inv, &options.scan)?;

    // Everything the shown updates refer to is named in the same pass.
    let categories = inv.category_map();
    let mut subjects = Vec::new();
    let mut related = BTreeSet::new();
    for d in &inv.details {
        let Some(e) = inv.get(d.revision_id) else {
            continue;
        };
        subjects.push(inv.subject(e));
        for (kind, _, id, _) in &d.refs {
            match kind {
                RefKind::Prerequisite | RefKind::Category => {
                    if let Some(p) = inv.by_update_id(id) {
                        related.insert(p.revision_id());
                    }
                }
                RefKind::SupersededBy | RefKind::BundledBy => {
                    if let Ok(r) = id.trim().parse::<u64>() {
                        related.insert(r);
                    }
                }
                _ => {}
            }
        }
        related.extend(inv.supersedes(d.revision_id));
        related.extend(inv.bundled_into(d.revision_id));
    }
    let mut request = names::request_for(subjects.iter().cloned(), &categories, &options.lang);
    request.core = true;
    request.eula = true;
    request.revisions.extend(related.iter().copied());
    let keep_raw: HashSet<u64> = revisions.iter().copied().collect();
    let (g, shards) = names::gather(&catalog, &index, &request, &keep_raw, threads)?;

    let mut updates = Vec::new();
    for d in &inv.details {
        let Some(e) = inv.get(d.revision_id) else {
            continue;
        };
        let subject = inv.subject(e);
        let names = g.names_for(&subject, &categories, &options.lang, &shards);
        updates.push(shown(&inv, &g, e, d, names, &index, options));
    }
    Ok(ShowReport {
        path: path.display().to_string(),
        updates,
        shards,
    })
}

/// The download Urls of the shown updates' payload files. Only they are
/// looked up, in a pass of their own: keeping every FileLocation would
/// grow with the catalog.
fn payload_locations(
    catalog: &Catalog,
    inv: &Inventory,
    scan: &ScanOptions,
) -> Result<HashMap<String, String>> {
    let ids: HashSet<&str> = inv
        .details
        .iter()
        .flat_map(|d| &d.refs)
        .filter(|r| r.0 == RefKind::PayloadFile)
        .map(|r| r.2.as_str())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    inventory::file_locations(catalog, scan, &ids)
}

fn shown(
    inv: &Inventory,
    g: &Gathered,
    e: EntryRef<'_>,
    d: &Detail,
    names: Names,
    index: &crate::catalog::index::Index,
    options: &ShowOptions,
) -> Shown {
    let title = |rev: u64| {
        let lang = inv.get(rev).and_then(EntryRef::default_language);
        g.title(rev, &options.lang, lang)
            .map(|(t, _)| t.to_string())
    };
    let by_revision = |rev: u64| Related {
        revision_id: Some(rev),
        update_id: inv
            .get(rev)
            .and_then(|e| e.update_id().map(Cow::into_owned)),
        in_catalog: inv.get(rev).is_some(),
        title: title(rev),
        detail: None,
    };
    let by_update_id = |id: &str, detail: Option<String>| {
        let found = inv.by_update_id(id);
        Related {
            revision_id: found.map(EntryRef::revision_id),
            update_id: Some(id.to_string()),
            in_catalog: found.is_some(),
            title: found.and_then(|e| title(e.revision_id())),
            detail,
        }
    };
    let refs = |kind: RefKind| d.refs.iter().filter(move |r| r.0 == kind);
    let revision_refs = |kind: RefKind| -> Vec<Related> {
        refs(kind)
            .map(|(_, _, id, _)| match id.trim().parse::<u64>() {
                Ok(r) => by_revision(r),
                Err(_) => Related {
                    revision_id: None,
                    update_id: None,
                    in_catalog: false,
                    title: None,
                    detail: Some(format!("unreadable RevisionId {id:?}")),
                },
            })
            .collect()
    };
    Shown {
        entry: e.to_entry(),
        detail: d.clone(),
        shard: index.shard_for(e.revision_id()).map(|s| s.name.clone()),
        names,
        prerequisites: refs(RefKind::Prerequisite)
            .map(|(_, group, id, _)| by_update_id(id, Some(format!("group {group}"))))
            .collect(),
        categories: refs(RefKind::Category)
            .map(|(_, _, id, ty)| by_update_id(id, Some(ty.clone())))
            .collect(),
        superseded_by: revision_refs(RefKind::SupersededBy),
        supersedes: inv
            .supersedes(e.revision_id())
            .into_iter()
            .map(by_revision)
            .collect(),
        bundled_by: revision_refs(RefKind::BundledBy),
        bundles: inv
            .bundled_into(e.revision_id())
            .into_iter()
            .map(by_revision)
            .collect(),
        payload: refs(RefKind::PayloadFile)
            .map(|(_, _, id, _)| Payload {
                id: id.clone(),
                url: inv.file_locations.get(id).cloned(),
            })
            .collect(),
        fragments: g
            .raw(e.revision_id())
            .iter()
            .map(|(member, text)| RawFragment {
                member: member.clone(),
                text: text.clone(),
            })
            .collect(),
    }
}

/// Every RevisionId whose extended fragment names KB article `kb`: one pass
/// over every shard, reading only `x\` fragments.
fn revisions_with_kb(
    catalog: &Catalog,
    inv: &Inventory,
    index: &crate::catalog::index::Index,
    kb: &str,
    threads: usize,
) -> Result<BTreeSet<u64>> {
    let request = Request {
        revisions: inv.iter().map(EntryRef::revision_id).collect(),
        extended: true,
        ..Request::default()
    };
    let found = Mutex::new(BTreeSet::new());
    shards::read(
        catalog,
        index,
        &request,
        threads,
        None,
        &|_, rev, kind, bytes| {
            if let Facts::Extended(x) = fragment::parse_brief(kind, bytes)? {
                let hit = x.kb.as_deref().is_some_and(|k| strip_kb(k) == kb);
                if hit {
                    found.lock().expect("found lock").insert(rev);
                }
            }
            Ok(())
        },
    )?;
    Ok(found.into_inner().expect("no reader holds the lock"))
}
