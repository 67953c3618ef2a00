//! Every update of package.xml, compactly, from one streaming pass.
//!
//! `list`, `show` and `info` answer questions across updates (what
//! supersedes what, which updates name a product) that one `<Update>` at a
//! time cannot. package.xml is 114 MB of text, but what those questions need
//! is a few hundred bytes per update: about 40 MB for 136k updates. The full
//! attributes and children are kept only for the updates a caller selects.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::catalog::names::Subject;
use crate::catalog::package::scan::{scan, ScanOptions, Visitor};
use crate::catalog::package::RootInfo;
use crate::catalog::update::{Kind, RefKind, Update};
use crate::catalog::Catalog;
use crate::error::Result;

/// The attributes of `<Update>` whose values form a small, known set; their
/// values are counted (other attributes are only counted by name).
pub const ENUMERATED: [&str; 4] = ["DeploymentAction", "IsLeaf", "IsBundle", "IsSoftware"];

/// One update, compactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The `RevisionId` attribute (0 when missing or not a number).
    pub revision_id: u64,
    /// The `UpdateId` attribute as written; `None` when absent.
    pub update_id: Option<String>,
    /// The `RevisionNumber` attribute; `None` when missing or not a number.
    pub revision_number: Option<u64>,
    /// What the update is, from its attributes and children.
    pub kind: Kind,
    /// The `DeploymentAction` attribute: `None` when absent, `Some("")`
    /// when present and empty.
    pub deployment_action: Option<String>,
    /// The `DefaultLanguage` attribute (`en`); `None` when absent.
    pub default_language: Option<String>,
    /// The `CreationDate` attribute, as written; `None` when absent.
    pub creation_date: Option<String>,
    /// Each `Categories/Category`, as an index into
    /// [`Inventory::categories`] (a catalog names a few thousand categories
    /// about half a million times; the pairs are stored once).
    #[serde(skip)]
    pub categories: Box<[u32]>,
    /// RevisionIds from `BundledBy`.
    pub bundled_by: Vec<u64>,
    /// RevisionIds from `SupersededBy`.
    pub superseded_by: Vec<u64>,
    /// Byte offset of the `<Update` tag in package.xml.
    pub offset: u64,
}

impl Entry {
    /// An empty entry, left behind where a caller took one over.
    pub fn taken() -> Entry {
        Entry {
            revision_id: 0,
            update_id: None,
            revision_number: None,
            kind: Kind::Other,
            deployment_action: None,
            default_language: None,
            creation_date: None,
            categories: Box::default(),
            bundled_by: Vec::new(),
            superseded_by: Vec::new(),
            offset: 0,
        }
    }
}

/// Everything about one update that package.xml says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// The update's RevisionId (0 when missing or not a number).
    pub revision_id: u64,
    /// Every attribute, as (name, unescaped value), in document order.
    pub attributes: Vec<(String, String)>,
    /// Every reference its children make: (kind, Or group, Id, detail). The
    /// group is the prerequisite's `<Or>` group (0: required, and for every
    /// other kind); the Id is as written; the detail is a category's Type,
    /// else empty.
    pub refs: Vec<(RefKind, u32, String, String)>,
    /// Children wsuscat does not know, by local name.
    pub other_children: Vec<String>,
}

/// Counts over all updates, for `info`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    /// Updates per kind; a kind no update has is not in the map.
    pub by_kind: BTreeMap<Kind, u64>,
    /// DeploymentAction values; `None` is "absent".
    pub deployment_action: BTreeMap<Option<String>, u64>,
    /// How many updates carry each attribute.
    pub attributes: BTreeMap<String, u64>,
    /// Values of the [`ENUMERATED`] attributes: (attribute, value) → updates.
    pub values: BTreeMap<(String, String), u64>,
    /// `Category/@Type` values → references.
    pub category_types: BTreeMap<String, u64>,
    /// BundledBy/SupersededBy references whose Id is not a number.
    pub unreadable_refs: u64,
    /// `<FileLocation>` elements under the root's `<FileLocations>`.
    pub file_locations: u64,
}

impl Census {
    fn merge(&mut self, other: Census) {
        for (k, v) in other.by_kind {
            *self.by_kind.entry(k).or_default() += v;
        }
        for (k, v) in other.deployment_action {
            *self.deployment_action.entry(k).or_default() += v;
        }
        for (k, v) in other.attributes {
            *self.attributes.entry(k).or_default() += v;
        }
        for (k, v) in other.values {
            *self.values.entry(k).or_default() += v;
        }
        for (k, v) in other.category_types {
            *self.category_types.entry(k).or_default() += v;
        }
        self.unreadable_refs += other.unreadable_refs;
        self.file_locations += other.file_locations;
    }
}

/// What to keep besides the compact entries.
#[derive(Default)]
pub struct Keep<'a> {
    /// Keep the full [`Detail`] of updates this selects.
    pub detail: Option<&'a (dyn Fn(&Update) -> bool + Sync)>,
    /// Keep every FileLocation (Id → Url).
    pub file_locations: bool,
}

/// The catalog's updates.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// package.xml's root element and its attributes (`PackageId`,
    /// `CreationDate`, `MinimumClientVersion` …).
    pub root: RootInfo,
    /// Sorted by RevisionId (then by offset, should two share one).
    pub entries: Vec<Entry>,
    /// Counts over every update.
    pub census: Census,
    /// The full record of each update [`Keep::detail`] selected, sorted by
    /// RevisionId; empty when it selected none.
    pub details: Vec<Detail>,
    /// `<FileLocation>` Id (base64 SHA-1 of a payload file) → its download
    /// Url; empty unless [`Keep::file_locations`] asked for them.
    pub file_locations: HashMap<String, String>,
    /// Every (Type, UpdateId) an update names in `Categories`; entries
    /// refer to them by index.
    pub categories: Vec<(String, String)>,
    /// package.xml's size in bytes.
    pub package_xml_len: u64,
    /// Hash of a normalized UpdateId → index of its current revision; the
    /// ids themselves stay in the entries (a full catalog has 136k).
    by_update_id: HashMap<u64, u32>,
    /// The rare UpdateIds whose hash another one already holds.
    update_id_collisions: HashMap<String, u32>,
}

/// Distinct (Type, UpdateId) pairs, numbered in order of appearance.
#[derive(Default)]
struct Interner {
    pairs: Vec<(String, String)>,
    /// Hash of a pair → indices of the pairs with that hash.
    by_hash: HashMap<u64, Vec<u32>>,
}

impl Interner {
    fn hash(ty: &str, id: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (ty, id).hash(&mut h);
        h.finish()
    }

    fn intern(&mut self, ty: &str, id: &str) -> u32 {
        let slot = self.by_hash.entry(Self::hash(ty, id)).or_default();
        if let Some(&i) = slot
            .iter()
            .find(|&&i| self.pairs[i as usize].0 == ty && self.pairs[i as usize].1 == id)
        {
            return i;
        }
        let i = u32::try_from(self.pairs.len()).expect("fewer than 2^32 categories");
        self.pairs.push((ty.to_string(), id.to_string()));
        slot.push(i);
        i
    }
}

struct Collector<'a> {
    keep: &'a Keep<'a>,
    entries: Vec<Entry>,
    categories: Interner,
    census: Census,
    details: Vec<Detail>,
    locations: Vec<(String, String)>,
}

fn revision_ids(u: &Update, kind: RefKind, unreadable: &mut u64) -> Vec<u64> {
    u.refs(kind)
        .filter_map(|id| {
            let n = id.trim().parse().ok();
            if n.is_none() {
                *unreadable += 1;
            }
            n
        })
        .collect()
}

/// Counts one more of a key. Real catalogs have a handful of values per
/// counted attribute, found by comparison without building the key; a
/// hostile one with thousands falls back to the keyed lookup, so the cost
/// never grows with the square of the values.
fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, is: impl Fn(&K) -> bool, key: impl FnOnce() -> K) {
    if map.len() <= 32 {
        if let Some((_, n)) = map.iter_mut().find(|(k, _)| is(k)) {
            *n += 1;
            return;
        }
    }
    *map.entry(key()).or_default() += 1;
}

impl Visitor for Collector<'_> {
    fn update(&mut self, u: &Update) {
        let kind = u.kind();
        let c = &mut self.census;
        *c.by_kind.entry(kind).or_default() += 1;
        let action = u.get("DeploymentAction");
        bump(
            &mut c.deployment_action,
            |k| k.as_deref() == action,
            || action.map(str::to_string),
        );
        for (name, value) in u.attributes() {
            match c.attributes.get_mut(name) {
                Some(n) => *n += 1,
                None => {
                    c.attributes.insert(name.to_string(), 1);
                }
            }
            if ENUMERATED.contains(&name) {
                bump(
                    &mut c.values,
                    |(a, v)| a == name && v == value,
                    || (name.to_string(), value.to_string()),
                );
            }
        }
        for (ty, _) in u.categories() {
            match c.category_types.get_mut(ty) {
                Some(n) => *n += 1,
                None => {
                    c.category_types.insert(ty.to_string(), 1);
                }
            }
        }
        let owned = |name: &str| u.get(name).map(str::to_string);
        let entry = Entry {
            revision_id: u.revision_id().unwrap_or_default(),
            update_id: owned("UpdateId"),
            revision_number: u.get("RevisionNumber").and_then(|v| v.parse().ok()),
            kind,
            deployment_action: action.map(str::to_string),
            default_language: owned("DefaultLanguage"),
            creation_date: owned("CreationDate"),
            categories: u
                .categories()
                .map(|(t, id)| self.categories.intern(t, id))
                .collect(),
            bundled_by: revision_ids(u, RefKind::BundledBy, &mut c.unreadable_refs),
            superseded_by: revision_ids(u, RefKind::SupersededBy, &mut c.unreadable_refs),
            offset: u.offset,
        };
        self.entries.push(entry);
        if self.keep.detail.is_some_and(|select| select(u)) {
            self.details.push(Detail {
                revision_id: u.revision_id().unwrap_or_default(),
                attributes: u
                    .attributes()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                refs: u
                    .all_refs()
                    .map(|(k, g, id, d)| (k, g, id.to_string(), d.to_string()))
                    .collect(),
                other_children: u.other_children().map(str::to_string).collect(),
            });
        }
    }

    fn file_location(&mut self, id: &str, url: &str) {
        self.census.file_locations += 1;
        if self.keep.file_locations {
            self.locations.push((id.to_string(), url.to_string()));
        }
    }
}

/// Reads every update of the catalog at `path`.
pub fn read(path: &Path, scan_options: &ScanOptions, keep: &Keep<'_>) -> Result<Inventory> {
    let catalog = Catalog::open(path)?;
    read_catalog(&catalog, scan_options, keep)
}

/// Like [`read`], for an opened catalog.
pub fn read_catalog(
    catalog: &Catalog,
    scan_options: &ScanOptions,
    keep: &Keep<'_>,
) -> Result<Inventory> {
    let mut xml = catalog.stream_package_xml()?;
    let new = || Collector {
        keep,
        entries: Vec::new(),
        categories: Interner::default(),
        census: Census::default(),
        details: Vec::new(),
        locations: Vec::new(),
    };
    let scanned = scan(&mut xml, scan_options, &new, None)
        .map_err(|e| crate::catalog::scan_error(e, catalog.path()))?;
    xml.finish()?;
    let mut inv = Inventory {
        root: scanned.document.root.clone(),
        package_xml_len: scanned.document.len,
        ..Inventory::default()
    };
    let total = scanned.visitors.iter().map(|c| c.entries.len()).sum();
    inv.entries.reserve_exact(total);
    let mut table = Interner::default();
    for c in scanned.visitors {
        // Batch-local category numbers become catalog-wide ones.
        let remap: Vec<u32> = c
            .categories
            .pairs
            .iter()
            .map(|(t, id)| table.intern(t, id))
            .collect();
        inv.entries.extend(c.entries.into_iter().map(|mut e| {
            for i in e.categories.iter_mut() {
                *i = remap[*i as usize];
            }
            e
        }));
        inv.census.merge(c.census);
        inv.details.extend(c.details);
        inv.file_locations.extend(c.locations);
    }
    inv.categories = table.pairs;
    inv.entries.sort_by_key(|e| (e.revision_id, e.offset));
    inv.details.sort_by_key(|d| d.revision_id);
    for (i, e) in inv.entries.iter().enumerate() {
        let Some(id) = &e.update_id else { continue };
        let i = u32::try_from(i).expect("fewer than 2^32 updates");
        let current = inv.update_id_index(id);
        // Several revisions of one UpdateId: the highest RevisionNumber is
        // the update's current revision.
        if current.is_some_and(|j| inv.entries[j as usize].revision_number >= e.revision_number) {
            continue;
        }
        let key = guid_hash(id);
        match inv.by_update_id.get(&key) {
            Some(&j)
                if !same_guid(
                    inv.entries[j as usize].update_id.as_deref().unwrap_or(""),
                    id,
                ) =>
            {
                inv.update_id_collisions.insert(normalized_guid(id), i);
            }
            _ => {
                inv.by_update_id.insert(key, i);
            }
        }
    }
    Ok(inv)
}

/// An UpdateId without braces, surrounding space or case.
fn normalized_guid(id: &str) -> String {
    bare_guid(id).to_ascii_lowercase()
}

fn bare_guid(id: &str) -> &str {
    id.trim().trim_start_matches('{').trim_end_matches('}')
}

/// GUIDs compare without braces, surrounding space or case.
pub fn same_guid(a: &str, b: &str) -> bool {
    bare_guid(a).eq_ignore_ascii_case(bare_guid(b))
}

/// A hash of the normalized UpdateId, without allocating it.
fn guid_hash(id: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for b in bare_guid(id).bytes() {
        h.write_u8(b.to_ascii_lowercase());
    }
    h.finish()
}

/// Supersedence across the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Supersedence {
    /// Updates with at least one SupersededBy reference.
    pub superseded_updates: u64,
    /// `SupersededBy` references in all (those whose Id is not a number
    /// are in [`Census::unreadable_refs`] instead).
    pub references: u64,
    /// References to RevisionIds that are not in the catalog.
    pub dangling: u64,
    /// Distinct RevisionIds that supersede something.
    pub superseding_revisions: u64,
}

impl Inventory {
    /// The update with this RevisionId.
    pub fn get(&self, revision_id: u64) -> Option<&Entry> {
        let i = self
            .entries
            .partition_point(|e| e.revision_id < revision_id);
        self.entries.get(i).filter(|e| e.revision_id == revision_id)
    }

    /// The current revision of an UpdateId (braces and case ignored).
    pub fn by_update_id(&self, update_id: &str) -> Option<&Entry> {
        self.update_id_index(update_id)
            .map(|i| &self.entries[i as usize])
    }

    fn update_id_index(&self, update_id: &str) -> Option<u32> {
        match self.by_update_id.get(&guid_hash(update_id)) {
            Some(&i)
                if same_guid(
                    self.entries[i as usize].update_id.as_deref().unwrap_or(""),
                    update_id,
                ) =>
            {
                Some(i)
            }
            Some(_) => self
                .update_id_collisions
                .get(&normalized_guid(update_id))
                .copied(),
            None => None,
        }
    }

    /// The full record of this RevisionId, when [`Keep::detail`] kept it.
    pub fn detail(&self, revision_id: u64) -> Option<&Detail> {
        self.details.iter().find(|d| d.revision_id == revision_id)
    }

    /// Supersedence totals.
    pub fn supersedence(&self) -> Supersedence {
        let mut s = Supersedence::default();
        let mut superseding = HashSet::new();
        for e in &self.entries {
            if !e.superseded_by.is_empty() {
                s.superseded_updates += 1;
            }
            for &r in &e.superseded_by {
                s.references += 1;
                if self.get(r).is_none() {
                    s.dangling += 1;
                }
                superseding.insert(r);
            }
        }
        s.superseding_revisions = superseding.len() as u64;
        s
    }

    /// RevisionIds of the updates that `revision_id` supersedes (those
    /// naming it in their SupersededBy), in order.
    pub fn supersedes(&self, revision_id: u64) -> Vec<u64> {
        self.entries
            .iter()
            .filter(|e| e.superseded_by.contains(&revision_id))
            .map(|e| e.revision_id)
            .collect()
    }

    /// RevisionIds of the updates bundled into `revision_id`.
    pub fn bundled_into(&self, revision_id: u64) -> Vec<u64> {
        self.entries
            .iter()
            .filter(|e| e.bundled_by.contains(&revision_id))
            .map(|e| e.revision_id)
            .collect()
    }

    /// Category UpdateIds (lowercase, as written) → RevisionIds, for naming
    /// products and classifications.
    pub fn category_map(&self) -> HashMap<String, u64> {
        self.entries
            .iter()
            .filter(|e| e.kind == Kind::Category)
            .filter_map(|e| {
                let id = e.update_id.as_ref()?.to_ascii_lowercase();
                Some((id, e.revision_id))
            })
            .collect()
    }

    /// What naming an update needs from package.xml.
    pub fn subject<'a>(&'a self, e: &'a Entry) -> Subject<'a> {
        Subject {
            revision_id: e.revision_id,
            default_language: e.default_language.as_deref().map(Cow::Borrowed),
            categories: self
                .categories_of(e)
                .map(|(t, id)| (Cow::Borrowed(t), Cow::Borrowed(id)))
                .collect(),
            bundled_by: e.bundled_by.first().copied(),
        }
    }

    /// An entry's categories as (Type, UpdateId).
    pub fn categories_of<'a>(&'a self, e: &'a Entry) -> impl Iterator<Item = (&'a str, &'a str)> {
        e.categories.iter().map(|&i| {
            let (t, id) = &self.categories[i as usize];
            (t.as_str(), id.as_str())
        })
    }

    /// References to each category by (Type, UpdateId): how many updates
    /// name it.
    pub fn category_counts(&self) -> BTreeMap<(String, String), u64> {
        let mut counts = vec![0u64; self.categories.len()];
        for e in &self.entries {
            for &i in e.categories.iter() {
                counts[i as usize] += 1;
            }
        }
        self.categories.iter().cloned().zip(counts).collect()
    }
}
