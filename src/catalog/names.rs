//! Names for updates: title, KB article, MSRC severity, classification,
//! products and bundle, read from the shards.
//!
//! None of these are in package.xml. Titles and KB numbers are in each
//! update's own `l\<lang>\` and `x\` fragments; product and classification
//! names are the *category updates'* titles, found through the UpdateIds in
//! `Categories`; a bundled child's bundle is named by the bundle's title.
//! Everything a set of updates needs is gathered first, then read in one
//! pass over the shards.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::catalog::fragment::{self, Facts, FragmentKind};
use crate::catalog::index::Index;
use crate::catalog::shards::{self, Request, ShardReport};
use crate::catalog::Catalog;
use crate::error::Result;

/// What is known of one update from package.xml, for naming it.
/// It borrows from an inventory where there is one: naming every update of
/// a full catalog must not copy half a million category references.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// The update's RevisionId: which `l\<lang>\` and `x\` fragments are its.
    pub revision_id: u64,
    /// Its `DefaultLanguage` attribute: the language tried for its title
    /// after the requested one. `None` when absent.
    pub default_language: Option<Cow<'a, str>>,
    /// (Type, UpdateId) of its categories.
    pub categories: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The RevisionId of its first `<BundledBy>` reference, whose title
    /// names its bundle; `None` for an update that is not bundled.
    pub bundled_by: Option<u64>,
}

/// The bundle a child belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleRef {
    /// The bundle's RevisionId, from the child's `BundledBy/Revision/@Id`.
    pub revision_id: u64,
    /// The bundle's title from its `l\<lang>\` fragment, in the same
    /// languages as the child's; `None` when none was found.
    pub title: Option<Arc<str>>,
    /// The bundle's KBArticleID from its `x\` fragment. Real catalogs give
    /// bundled children no KB of their own: the bundle's is the one an
    /// administrator searches for. `None` when it has none.
    pub kb: Option<Arc<str>>,
    /// The bundle's MsrcSeverity from its `x\` fragment, for the same
    /// reason; `None` when it has none.
    pub severity: Option<Arc<str>>,
}

/// An update's names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Names {
    /// The update's title from its `l\<lang>\<RevisionId>` fragment; `None`
    /// when no fragment in the languages tried has one (`notes` says why).
    pub title: Option<Arc<str>>,
    /// The language the title is in: the requested one, else the update's
    /// DefaultLanguage, else `en`. `None` when there is no title.
    pub title_language: Option<Arc<str>>,
    /// `KBArticleID` from the `x\<RevisionId>` fragment, as written there
    /// (digits, no `KB`); `None` when there is none.
    pub kb: Option<Arc<str>>,
    /// The `MsrcSeverity` attribute of the `x\<RevisionId>` fragment's
    /// `<ExtendedProperties>` (`Critical`, `Important`, …); `None` when
    /// there is none, as for bundled children (their bundle carries it). Named `msrc_severity`
    /// in JSON, where a finding's `severity` is already the rule's
    /// (breaks / warn).
    #[serde(rename = "msrc_severity")]
    pub severity: Option<Arc<str>>,
    /// The title of its UpdateClassification category (several are joined
    /// with `; `; a category without a title is shown by its UpdateId);
    /// `None` when it names none.
    pub classification: Option<Arc<str>>,
    /// The titles of its Product categories, in document order (the
    /// UpdateId for a category without a title); empty when it names none.
    pub products: Vec<Arc<str>>,
    /// For a bundled child, its (first) bundle; `None` otherwise.
    pub bundled_by: Option<BundleRef>,
    /// Facts about what could not be found (missing fragments or shards).
    pub notes: Vec<String>,
}

/// KBArticleID and MsrcSeverity from an `x\<rev>` fragment.
pub type KbSeverity = (Option<Arc<str>>, Option<Arc<str>>);

/// The fragments read for a set of updates: titles by language, KB and
/// severity, and (for the updates asked for) the raw fragment text.
#[derive(Default)]
pub struct Gathered {
    /// Language → RevisionId → title. Titles are shared (`Arc`) with the
    /// names made from them: a full catalog has 136k of them.
    titles: HashMap<Arc<str>, HashMap<u64, Arc<str>>>,
    /// (KBArticleID, MsrcSeverity) from `x\<rev>`.
    extended: HashMap<u64, KbSeverity>,
    seen_extended: HashSet<u64>,
    seen_localized: HashSet<u64>,
    /// Raw fragments of the revisions in `keep_raw`: (member name, text).
    raw: BTreeMap<u64, Vec<(String, String)>>,
}

/// Reads what `request` asks for in one pass over the shards, keeping the
/// raw text of the revisions in `keep_raw`.
pub fn gather(
    catalog: &Catalog,
    index: &Index,
    request: &Request,
    keep_raw: &HashSet<u64>,
    threads: usize,
) -> Result<(Gathered, ShardReport)> {
    gather_resuming(catalog, index, request, keep_raw, threads, None)
}

/// [`gather`], going on from `resume` (the outer folder where package.cab
/// left it) when the shards lie after it: one pass over the outer folder
/// for package.xml and the names together (see [`shards::read`]).
pub fn gather_resuming(
    catalog: &Catalog,
    index: &Index,
    request: &Request,
    keep_raw: &HashSet<u64>,
    threads: usize,
    resume: Option<crate::catalog::OuterResume>,
) -> Result<(Gathered, ShardReport)> {
    let gathered = Mutex::new(Gathered::default());
    let report = shards::read(
        catalog,
        index,
        request,
        threads,
        resume,
        &|_, rev, kind, bytes| {
            let facts = fragment::parse_brief(kind, bytes)?;
            let mut g = gathered.lock().expect("gathered lock");
            if keep_raw.contains(&rev) {
                g.raw.entry(rev).or_default().push((
                    kind.member_name(rev),
                    String::from_utf8_lossy(bytes).into_owned(),
                ));
            }
            g.record(rev, kind, facts);
            Ok(())
        },
    )?;
    let mut g = gathered.into_inner().expect("no reader holds the lock");
    for list in g.raw.values_mut() {
        list.sort();
    }
    Ok((g, report))
}

impl Gathered {
    /// Takes what naming needs from one fragment (a shard reader's
    /// collector, as [`gather`] uses it).
    pub fn take(&mut self, rev: u64, kind: &FragmentKind, bytes: &[u8]) -> Result<()> {
        let facts = fragment::parse_brief(kind, bytes)?;
        self.record(rev, kind, facts);
        Ok(())
    }

    fn record(&mut self, rev: u64, kind: &FragmentKind, facts: Facts) {
        match (kind, facts) {
            (FragmentKind::Localized(l), Facts::Localized(loc)) => {
                self.seen_localized.insert(rev);
                if let Some(t) = loc.title {
                    let lang = match self.titles.get_key_value(l.as_str()) {
                        Some((k, _)) => k.clone(),
                        None => Arc::from(l.as_str()),
                    };
                    self.titles
                        .entry(lang)
                        .or_default()
                        .insert(rev, Arc::from(t));
                }
            }
            (_, Facts::Extended(x)) => {
                self.seen_extended.insert(rev);
                self.extended
                    .insert(rev, (x.kb.map(Arc::from), x.msrc_severity.map(Arc::from)));
            }
            _ => {}
        }
    }

    /// Copies the titles of `rev`, in every language read, and its KB and
    /// severity, from `other`: what naming shard by shard keeps of a shard
    /// for later shards (its bundles' names), a handful of names, not the
    /// shard.
    pub fn keep_names_of(&mut self, other: &Gathered, rev: u64) {
        if let Some(x) = other.extended.get(&rev) {
            self.extended.insert(rev, x.clone());
        }
        for (lang, titles) in &other.titles {
            if let Some(t) = titles.get(&rev) {
                self.titles
                    .entry(lang.clone())
                    .or_default()
                    .insert(rev, t.clone());
            }
        }
    }

    /// How many titles are held (every language).
    pub fn title_count(&self) -> usize {
        self.titles.values().map(HashMap::len).sum()
    }

    /// The title in `lang`, else in `fallback`, else in English, with the
    /// language found.
    pub fn title(
        &self,
        rev: u64,
        lang: &str,
        fallback: Option<&str>,
    ) -> Option<(&Arc<str>, &Arc<str>)> {
        [Some(lang), fallback, Some("en")]
            .into_iter()
            .flatten()
            .find_map(|l| {
                let (lang, titles) = self.titles.get_key_value(l)?;
                titles.get(&rev).map(|t| (t, lang))
            })
    }

    /// KBArticleID and MsrcSeverity, when the extended fragment was read.
    pub fn extended(&self, rev: u64) -> Option<&KbSeverity> {
        self.extended.get(&rev)
    }

    /// Raw fragments kept for `rev`: (member name, text), sorted by name.
    pub fn raw(&self, rev: u64) -> &[(String, String)] {
        self.raw.get(&rev).map_or(&[], Vec::as_slice)
    }

    /// Names one subject from what was read.
    pub fn names_for(
        &self,
        s: &Subject<'_>,
        categories: &HashMap<String, u64>,
        lang: &str,
        report: &ShardReport,
    ) -> Names {
        self.names_with(None, s, categories, lang, report)
    }

    /// Names one subject from its own shard's fragments (`self`) and the
    /// titles read elsewhere (`also`: its categories' and bundle's, when
    /// they are in other shards), the same names [`Gathered::names_for`]
    /// makes when everything was read at once.
    pub fn names_for_with(
        &self,
        also: &Gathered,
        s: &Subject<'_>,
        categories: &HashMap<String, u64>,
        lang: &str,
        report: &ShardReport,
    ) -> Names {
        self.names_with(Some(also), s, categories, lang, report)
    }

    fn title_either<'g>(
        &'g self,
        also: Option<&'g Gathered>,
        rev: u64,
        lang: &str,
        fallback: Option<&str>,
    ) -> Option<(&'g Arc<str>, &'g Arc<str>)> {
        self.title(rev, lang, fallback)
            .or_else(|| also.and_then(|g| g.title(rev, lang, fallback)))
    }

    fn names_with(
        &self,
        also: Option<&Gathered>,
        s: &Subject<'_>,
        categories: &HashMap<String, u64>,
        lang: &str,
        report: &ShardReport,
    ) -> Names {
        let category_rev = |id: &str| categories.get(&id.to_ascii_lowercase()).copied();
        let mut n = Names::default();
        if let Some((t, l)) =
            self.title_either(also, s.revision_id, lang, s.default_language.as_deref())
        {
            n.title = Some(t.clone());
            n.title_language = Some(l.clone());
        }
        if let Some((kb, severity)) = self.extended(s.revision_id) {
            n.kb = kb.clone();
            n.severity = severity.clone();
        }
        let mut classifications = Vec::new();
        for (ty, id) in &s.categories {
            if !is_named_category(ty) {
                continue;
            }
            let name = category_rev(id)
                .and_then(|r| self.title_either(also, r, lang, None))
                .map(|(t, _)| t.clone())
                .unwrap_or_else(|| {
                    n.notes
                        .push(format!("no title found for {ty} category {id}"));
                    Arc::from(&**id)
                });
            if ty == "Product" {
                n.products.push(name);
            } else {
                classifications.push(name);
            }
        }
        n.classification = match classifications.len() {
            0 => None,
            1 => classifications.pop(),
            _ => Some(Arc::from(classifications.join("; "))),
        };
        if let Some(b) = s.bundled_by {
            let (kb, severity) = self
                .extended(b)
                .or_else(|| also.and_then(|g| g.extended(b)))
                .cloned()
                .unwrap_or_default();
            n.bundled_by = Some(BundleRef {
                revision_id: b,
                title: self
                    .title_either(also, b, lang, s.default_language.as_deref())
                    .map(|(t, _)| t.clone()),
                kb,
                severity,
            });
        }
        self.explain_missing(s.revision_id, report, lang, &mut n.notes);
        n
    }

    /// Says why an update's fragments are missing, when they are.
    fn explain_missing(&self, rev: u64, report: &ShardReport, lang: &str, notes: &mut Vec<String>) {
        if let Some(note) = shard_note(rev, report) {
            notes.push(note);
            return;
        }
        if !self.seen_extended.contains(&rev) {
            notes.push(format!("no extended fragment x\\{rev}"));
        }
        if !self.seen_localized.contains(&rev) {
            notes.push(format!("no localized fragment l\\{lang}\\{rev}"));
        }
    }
}

/// Why no shard could be read for `rev`, if that is the case.
pub fn shard_note(rev: u64, report: &ShardReport) -> Option<String> {
    if report.unmapped.contains(&rev) {
        return Some(format!(
            "RevisionId {rev} is below every RANGESTART in index.xml: no shard holds its fragments"
        ));
    }
    report
        .missing_shards
        .iter()
        .find(|(_, revs)| revs.binary_search(&rev).is_ok())
        .map(|(shard, _)| {
            format!(
                "RevisionId {rev} maps to {shard}, which index.xml names but the catalog does not contain"
            )
        })
}

/// The request that names `subjects`: their own x and l fragments, and the
/// l fragments of their product and classification categories and bundles.
pub fn request_for<'s>(
    subjects: impl IntoIterator<Item = Subject<'s>>,
    categories: &HashMap<String, u64>,
    lang: &str,
) -> Request {
    let mut request = Request {
        extended: true,
        ..Request::default()
    };
    request.languages.insert(lang.to_string());
    // English is every catalog's default language; asking for it too lets a
    // category without the requested language still be named.
    request.languages.insert("en".to_string());
    for s in subjects {
        request.revisions.insert(s.revision_id);
        if let Some(l) = &s.default_language {
            if !request.languages.contains(&**l) {
                request.languages.insert(l.to_string());
            }
        }
        for (ty, id) in &s.categories {
            if is_named_category(ty) {
                if let Some(&r) = categories.get(&id.to_ascii_lowercase()) {
                    request.revisions.insert(r);
                }
            }
        }
        if let Some(b) = s.bundled_by {
            request.revisions.insert(b);
        }
    }
    request
}

/// Whether a category of this Type is named in reports (products and
/// classifications; companies and product families are not).
pub fn is_named_category(ty: &str) -> bool {
    ty == "Product" || ty == "UpdateClassification"
}
