//! A catalog's vocabulary: the element paths, attribute names, enumerated
//! values and kind-combinations it uses, each with how many updates carry it
//! and the first of them.
//!
//! Advisory 954474 and the July 2025 sync outage had the same shape: a
//! catalog carried something its consumer had never seen. Nobody can list in
//! advance everything a consumer rejects, but an administrator knows the last
//! catalog that synced fine. Its vocabulary is a baseline; anything a new
//! catalog uses outside it is a novelty worth a look before the sync. One
//! collector both learns a baseline and measures a new catalog, so the two
//! can never disagree about what counts as the same thing.
//!
//! The collector runs inside the parallel scan (one per batch) and is merged
//! in document order, so "the first updates" are the same whatever the
//! thread count. Per element it reuses one path buffer and looks it up in a
//! small map: no allocation once a path has been seen.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::{Deserialize, Serialize};

use crate::catalog::package::parse::Element;
use crate::catalog::package::RootInfo;
use crate::catalog::update::Update;
use crate::error::{Error, ErrorKind, Result};

/// How many updates a tally names.
pub const FIRST: usize = 10;

/// The path of `<Update>` elements.
pub const UPDATE_PATH: &str = "OfflineSyncPackage/Updates/Update";

/// The attribute names `<Update>` carries in the format and in published
/// catalogs (nine in all; docs/profiles.md): the built-in vocabulary a
/// profile rule's `attribute` is checked against when the profile loads.
pub const UPDATE_ATTRIBUTES: [&str; 9] = [
    "CreationDate",
    "DefaultLanguage",
    "UpdateId",
    "RevisionNumber",
    "RevisionId",
    "IsLeaf",
    "IsBundle",
    "DeploymentAction",
    "IsSoftware",
];

/// The `<Update>` attributes whose values are vocabulary (the rest, such as
/// UpdateId or CreationDate, are identifiers and dates).
pub const UPDATE_VALUES: [&str; 4] = ["DeploymentAction", "IsLeaf", "IsBundle", "IsSoftware"];

const UPDATE_VALUE_KEYS: [&str; 4] = [
    "Update@DeploymentAction",
    "Update@IsLeaf",
    "Update@IsBundle",
    "Update@IsSoftware",
];

/// The root attributes whose values are vocabulary.
pub const ROOT_VALUES: [&str; 2] = ["ProtocolVersion", "PackageVersion"];

/// How often something occurs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Elements (or updates, for values and combinations) carrying it.
    pub occurrences: u64,
    /// Distinct updates carrying it; 0 for what lies outside every update.
    pub updates: u64,
    /// RevisionIds of the first [`FIRST`] of those updates, in document order.
    pub first: Vec<u64>,
}

impl Tally {
    /// Adds the counts of `other`, a tally of what comes later in the
    /// document, keeping the first [`FIRST`] RevisionIds of both in order.
    pub fn absorb(&mut self, other: Tally) {
        self.occurrences += other.occurrences;
        self.updates += other.updates;
        let room = FIRST.saturating_sub(self.first.len());
        self.first.extend(other.first.into_iter().take(room));
    }

    fn count_update(&mut self, revision_id: u64) {
        self.updates += 1;
        if self.first.len() < FIRST {
            self.first.push(revision_id);
        }
    }
}

/// What an update is made of, as far as importers that build a node per
/// update care: the attributes that decide its kind (absent is `None`) and
/// whether it is bundled or carries payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Combination {
    /// The `IsBundle` attribute's value; `None` (a key left out in TOML and
    /// JSON) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_bundle: Option<String>,
    /// The `IsLeaf` attribute's value; `None` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_leaf: Option<String>,
    /// The `DeploymentAction` attribute's value; `None` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_action: Option<String>,
    /// The `IsSoftware` attribute's value; `None` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_software: Option<String>,
    /// Whether the update has a `<BundledBy>` child.
    pub bundled_by: bool,
    /// Whether the update has a `<PayloadFiles>` child.
    pub payload_files: bool,
}

impl Combination {
    /// The combination `u` is made of.
    pub fn of(u: &Update) -> Combination {
        let get = |name| u.get(name).map(str::to_string);
        Combination {
            is_bundle: get("IsBundle"),
            is_leaf: get("IsLeaf"),
            deployment_action: get("DeploymentAction"),
            is_software: get("IsSoftware"),
            bundled_by: u.children.bundled_by,
            payload_files: u.children.payload_files,
        }
    }

    /// One line for reports: the attributes present, then the children.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (name, v) in [
            ("IsBundle", &self.is_bundle),
            ("IsLeaf", &self.is_leaf),
            ("DeploymentAction", &self.deployment_action),
            ("IsSoftware", &self.is_software),
        ] {
            if let Some(v) = v {
                parts.push(format!("{name}={v:?}"));
            }
        }
        parts.push(format!(
            "{}BundledBy",
            if self.bundled_by { "+" } else { "no " }
        ));
        parts.push(format!(
            "{}PayloadFiles",
            if self.payload_files { "+" } else { "no " }
        ));
        parts.join(" ")
    }
}

/// One item of vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Term {
    /// An element path in package.xml: local names from the root, `/`-joined.
    Element {
        /// The path (`OfflineSyncPackage/Updates/Update/BundledBy`).
        path: String,
    },
    /// An attribute name on the elements at `path` in package.xml.
    Attribute {
        /// The element path, as for [`Term::Element`].
        path: String,
        /// The attribute's name as written (namespace declarations are
        /// never vocabulary).
        name: String,
    },
    /// A value of an enumerated attribute (`Update@DeploymentAction`,
    /// `Category@Type`, `OfflineSyncPackage@ProtocolVersion` …); `None` is
    /// "absent".
    Value {
        /// `Element@Attribute` (`Update@DeploymentAction`).
        attribute: String,
        /// The value after XML unescaping; `None` when the attribute is
        /// absent.
        value: Option<String>,
    },
    /// A kind-combination of an `<Update>`.
    Combination(Combination),
    /// An element path in index.xml.
    IndexElement {
        /// Local names from the root, `/`-joined (`INDEX/CABLIST/CAB`).
        path: String,
    },
    /// An attribute name on the elements at `path` in index.xml.
    IndexAttribute {
        /// The element path, as for [`Term::IndexElement`].
        path: String,
        /// The attribute's name as written (`RANGESTART`).
        name: String,
    },
}

impl Term {
    /// The rule name a novelty of this kind is reported under.
    pub fn novelty_rule(&self) -> &'static str {
        match self {
            Term::Element { .. } | Term::IndexElement { .. } => "new-element",
            Term::Attribute { .. } | Term::IndexAttribute { .. } => "new-attribute",
            Term::Value { .. } => "new-value",
            Term::Combination(_) => "new-combination",
        }
    }

    /// One line for reports.
    pub fn describe(&self) -> String {
        match self {
            Term::Element { path } => format!("element {path}"),
            Term::Attribute { path, name } => format!("attribute {path}@{name}"),
            Term::Value { attribute, value } => match value {
                Some(v) => format!("value {attribute}={v:?}"),
                None => format!("value {attribute} (absent)"),
            },
            Term::Combination(c) => format!("combination {}", c.describe()),
            Term::IndexElement { path } => format!("index.xml element {path}"),
            Term::IndexAttribute { path, name } => format!("index.xml attribute {path}@{name}"),
        }
    }
}

/// Everything a catalog uses, with tallies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// Every term seen, in [`Term`]'s order, with how often it occurs.
    pub terms: BTreeMap<Term, Tally>,
    /// Updates seen.
    pub updates: u64,
}

impl Vocabulary {
    /// Merges one batch's collector. Batches must be absorbed in document
    /// order, so that each tally's first updates are the document's first.
    pub fn absorb(&mut self, collector: Collector) {
        self.updates += collector.updates;
        for (term, tally) in collector.terms {
            self.add(term, tally);
        }
    }

    fn add(&mut self, term: Term, tally: Tally) {
        self.terms.entry(term).or_default().absorb(tally);
    }

    /// Adds the root's enumerated values (its attribute names arrive through
    /// the element hook like any other element's).
    pub fn add_root(&mut self, root: &RootInfo) {
        for name in ROOT_VALUES {
            self.add(
                Term::Value {
                    attribute: format!("OfflineSyncPackage@{name}"),
                    value: root.get(name).map(str::to_string),
                },
                Tally {
                    occurrences: 1,
                    ..Tally::default()
                },
            );
        }
    }

    /// Adds index.xml's element paths and attribute names.
    pub fn add_index(&mut self, bytes: &[u8]) -> Result<()> {
        let bad = |msg: String| Error::new(ErrorKind::Xml, msg).inside("index.xml");
        let text =
            std::str::from_utf8(bytes).map_err(|_| bad("index.xml is not valid UTF-8".into()))?;
        let mut reader = Reader::from_str(text.strip_prefix('\u{feff}').unwrap_or(text));
        let mut stack: Vec<String> = Vec::new();
        loop {
            let event = reader
                .read_event()
                .map_err(|e| bad(format!("index.xml is not well-formed: {e}")).with_source(e))?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let name = e.local_name().as_ref().to_string();
                    let mut path = stack.join("/");
                    if !path.is_empty() {
                        path.push('/');
                    }
                    path.push_str(&name);
                    let once = Tally {
                        occurrences: 1,
                        ..Tally::default()
                    };
                    self.add(Term::IndexElement { path: path.clone() }, once.clone());
                    for attr in e.attributes() {
                        let attr = attr.map_err(|err| bad(format!("bad attribute: {err}")))?;
                        let key = attr.key.0;
                        if key == "xmlns" || key.starts_with("xmlns:") {
                            continue;
                        }
                        self.add(
                            Term::IndexAttribute {
                                path: path.clone(),
                                name: key.to_string(),
                            },
                            once.clone(),
                        );
                    }
                    if matches!(event, Event::Start(_)) {
                        stack.push(name);
                    }
                }
                Event::End(_) => {
                    stack.pop();
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(())
    }
}

/// The most distinct terms the collectors of one catalog may hold between
/// them (each batch's collector counts the terms new to it).
///
/// Why this number: a catalog's vocabulary is small (a few dozen element
/// paths, attribute names and values), and each batch of about 1 MB sees
/// most of it again, so the generated catalogs add up to 4,400 at 136k
/// updates and 13,200 at 408k (three times today's volume). A hostile
/// package.xml can give every update its own attribute name or
/// DeploymentAction value; without a bound the collectors would hold
/// millions of terms (12 GB for two million updates). A term costs a few
/// hundred bytes in its collector and again in the merged vocabulary, so
/// this bound keeps them under about 80 MB; past it the scan stops with a
/// limit error (exit code 3).
pub const MAX_TERMS: usize = 1 << 17;

/// Collects one batch's vocabulary; a [`crate::catalog::package::scan::Visitor`]
/// calls it from its `element` and `update`.
#[derive(Default)]
pub struct Collector {
    /// Distinct terms held by every collector sharing this count (this
    /// one's own when it shares none), against [`MAX_TERMS`].
    held: Arc<AtomicUsize>,
    /// Set once `held` passed [`MAX_TERMS`].
    full: bool,
    /// Terms already seen, by a key built in `buf`.
    ids: HashMap<String, usize>,
    terms: Vec<(Term, Tally)>,
    /// For each term, the sequence number of the last update counted.
    last: Vec<u64>,
    buf: String,
    /// Terms seen inside the update being read.
    pending: Vec<usize>,
    in_update: bool,
    seq: u64,
    updates: u64,
}

impl Collector {
    /// A collector whose terms count against `held`, shared with the other
    /// batches' collectors of the same catalog.
    pub fn sharing(held: &Arc<AtomicUsize>) -> Collector {
        Collector {
            held: Arc::clone(held),
            ..Collector::default()
        }
    }

    /// Why the scan must stop: the collectors hold [`MAX_TERMS`] terms.
    pub fn refusal(&self) -> Option<Error> {
        self.full.then(|| {
            Error::new(
                ErrorKind::Limit,
                format!(
                    "package.xml: its vocabulary (distinct element paths, attribute names and \
                     values) reached its bound of {MAX_TERMS} terms (MAX_TERMS); a real catalog \
                     has a few dozen"
                ),
            )
        })
    }

    /// Counts a new term against [`MAX_TERMS`].
    fn count_new(&mut self) {
        if self.held.fetch_add(1, Ordering::Relaxed) >= MAX_TERMS {
            self.full = true;
        }
    }

    fn id(&mut self, make: impl FnOnce() -> Term) -> usize {
        if let Some(&id) = self.ids.get(self.buf.as_str()) {
            return id;
        }
        let id = self.terms.len();
        self.terms.push((make(), Tally::default()));
        self.last.push(0);
        self.ids.insert(self.buf.clone(), id);
        self.count_new();
        id
    }

    fn seen(&mut self, id: usize) {
        self.terms[id].1.occurrences += 1;
        if self.in_update {
            self.pending.push(id);
        }
    }

    /// Counts one element of package.xml: its path and its attribute names
    /// (namespace declarations excluded). An `<Update>` opens the update
    /// that the next [`Collector::update`] closes.
    pub fn element(&mut self, e: &Element<'_>) {
        self.buf.clear();
        self.buf.push_str("e:");
        e.write_path(&mut self.buf);
        if e.depth() == 2 && &self.buf[2..] == UPDATE_PATH {
            self.in_update = true;
            self.seq += 1;
        }
        let path_len = self.buf.len();
        let id = self.id(|| Term::Element {
            path: String::new(),
        });
        if let Term::Element { path } = &mut self.terms[id].0 {
            if path.is_empty() {
                *path = self.buf[2..].to_string();
            }
        }
        self.seen(id);
        let mut names: Vec<usize> = Vec::new();
        e.for_each_attribute_name(|name| {
            self.buf.truncate(path_len);
            self.buf.push('@');
            self.buf.push_str(name);
            let id = match self.ids.get(self.buf.as_str()) {
                Some(&id) => id,
                None => {
                    let term = Term::Attribute {
                        path: self.buf[2..path_len].to_string(),
                        name: name.to_string(),
                    };
                    let id = self.terms.len();
                    self.terms.push((term, Tally::default()));
                    self.last.push(0);
                    self.ids.insert(self.buf.clone(), id);
                    self.full |= self.held.fetch_add(1, Ordering::Relaxed) >= MAX_TERMS;
                    id
                }
            };
            names.push(id);
        });
        for id in names {
            self.seen(id);
        }
    }

    fn value(&mut self, attribute: &str, value: Option<&str>) {
        self.buf.clear();
        self.buf.push_str("v:");
        self.buf.push_str(attribute);
        match value {
            Some(v) => {
                self.buf.push('=');
                self.buf.push_str(v);
            }
            None => self.buf.push('\0'),
        }
        let id = self.id(|| Term::Value {
            attribute: attribute.to_string(),
            value: value.map(str::to_string),
        });
        self.terms[id].1.occurrences += 1;
        self.pending.push(id);
    }

    /// Counts one finished `<Update>`: its enumerated values, category
    /// Types and combination; every term seen inside it counts the update
    /// once, however often it occurs there.
    pub fn update(&mut self, u: &Update) {
        let revision_id = u.revision_id().unwrap_or_default();
        self.updates += 1;
        if !self.in_update {
            // No element hook announced this update.
            self.seq += 1;
        }
        for (name, key) in UPDATE_VALUES.iter().zip(UPDATE_VALUE_KEYS) {
            self.value(key, u.get(name));
        }
        for (ty, _) in u.categories() {
            self.value("Category@Type", Some(ty));
        }
        let combination = Combination::of(u);
        self.buf.clear();
        self.buf.push_str("c:");
        for v in [
            &combination.is_bundle,
            &combination.is_leaf,
            &combination.deployment_action,
            &combination.is_software,
        ] {
            match v {
                Some(v) => {
                    self.buf.push('=');
                    self.buf.push_str(v);
                }
                None => self.buf.push('\0'),
            }
            self.buf.push('\u{1}');
        }
        self.buf
            .push(if combination.bundled_by { 'B' } else { 'b' });
        self.buf
            .push(if combination.payload_files { 'P' } else { 'p' });
        let id = self.id(|| Term::Combination(combination));
        self.terms[id].1.occurrences += 1;
        self.pending.push(id);

        // Each term counts an update once, however often the update uses it.
        let seq = self.seq;
        for &id in &self.pending {
            if self.last[id] != seq {
                self.last[id] = seq;
                self.terms[id].1.count_update(revision_id);
            }
        }
        self.pending.clear();
        self.in_update = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::package::parse::parse_batch;
    use crate::catalog::package::scan::Visitor;
    use crate::catalog::package::{Batch, Limits};

    struct Learn(Collector);

    impl Visitor for Learn {
        fn wants_elements(&self) -> bool {
            true
        }
        fn element(&mut self, e: &Element<'_>) {
            self.0.element(e);
        }
        fn update(&mut self, u: &Update) {
            self.0.update(u);
        }
    }

    #[test]
    fn terms_count_updates_once_and_name_the_first() {
        let xml = r#"<OfflineSyncPackage xmlns="x" ProtocolVersion="1.0"><Updates>
            <Update RevisionId="7" IsBundle="true" IsLeaf="true"><SupersededBy><Revision Id="9"/><Revision Id="11"/></SupersededBy></Update>
            <Update RevisionId="8" DeploymentAction="Bundle" New=""><BundledBy><Revision Id="7"/></BundledBy></Update>
            <Update RevisionId="5" DeploymentAction="Bundle"/>
            </Updates></OfflineSyncPackage>"#;
        let batch = Batch {
            index: 0,
            offset: 0,
            context: Vec::new(),
            bindings: Vec::new(),
            bytes: xml.as_bytes().to_vec(),
        };
        let mut v = Learn(Collector::default());
        let outcome = parse_batch(&batch, &Limits::default(), &mut v);
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        let mut vocab = Vocabulary::default();
        vocab.absorb(v.0);
        let t = |term: Term| vocab.terms.get(&term).cloned().unwrap_or_default();
        let rev = t(Term::Element {
            path: format!("{UPDATE_PATH}/SupersededBy/Revision"),
        });
        assert_eq!((rev.occurrences, rev.updates, rev.first), (2, 1, vec![7]));
        let new = t(Term::Attribute {
            path: UPDATE_PATH.into(),
            name: "New".into(),
        });
        assert_eq!((new.updates, new.first), (1, vec![8]));
        let bundle = t(Term::Value {
            attribute: "Update@DeploymentAction".into(),
            value: Some("Bundle".into()),
        });
        assert_eq!((bundle.updates, bundle.first), (2, vec![8, 5]));
        let absent = t(Term::Value {
            attribute: "Update@DeploymentAction".into(),
            value: None,
        });
        assert_eq!(absent.first, vec![7]);
        // The root is vocabulary, its namespace declaration is not.
        assert_eq!(
            t(Term::Attribute {
                path: "OfflineSyncPackage".into(),
                name: "ProtocolVersion".into()
            })
            .occurrences,
            1
        );
        assert!(!vocab
            .terms
            .keys()
            .any(|k| matches!(k, Term::Attribute { name, .. } if name == "xmlns")));
        assert_eq!(vocab.updates, 3);
    }
}
