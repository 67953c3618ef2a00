//! Every update of package.xml, compactly, from one streaming pass.
//!
//! `list`, `show` and `info` answer questions across updates (what
//! supersedes what, which updates name a product) that one `<Update>` at a
//! time cannot. package.xml is 114 MB of text, but what those questions need
//! is under a hundred bytes per update: a fixed-size [`Slot`] each, with the
//! UpdateId parsed to its 16 bytes, DeploymentAction and DefaultLanguage
//! interned, and dates, references and categories in shared arenas (about
//! 15 MB for 136k updates). The full attributes and children are kept only
//! for the updates a caller selects.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use crate::catalog::names::Subject;
use crate::catalog::package::scan::{scan, ScanOptions, Visitor};
use crate::catalog::package::RootInfo;
use crate::catalog::update::{Kind, RefKind, Update};
use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind, Result};

/// The attributes of `<Update>` whose values form a small, known set; their
/// values are counted (other attributes are only counted by name).
pub const ENUMERATED: [&str; 4] = ["DeploymentAction", "IsLeaf", "IsBundle", "IsSoftware"];

/// The most the per-update index of one catalog may hold, in bytes: its
/// slots, its arenas and the UpdateId lookup built after the scan, counted
/// by capacity (what is allocated, not what is used).
///
/// Why this number: the generated catalog of 136k updates (today's volume)
/// needs about 21 MB, the 408k one (three times it) about 64 MB, so 160 MiB
/// leaves room for a million updates of that shape. A
/// package.xml can claim far more (one CAB folder holds 2 GiB: ten million
/// minimal `<Update RevisionId=…/>` elements), and without a bound the
/// index would follow the claim into gigabytes. With it, `list`, `info`,
/// `show` and `diff` stop with a limit error (exit code 3) once the index
/// reaches it, and stay under 256 MB whatever the input.
pub const MAX_INDEX_BYTES: usize = 160 << 20;

/// What the UpdateId lookup costs per update, counted ahead in the budget:
/// a 4-byte index, and as much again while it is sorted.
const LOOKUP_BYTES_PER_UPDATE: usize = 8;

/// What an interned value costs besides its text: the strings' and the
/// map's headers and the allocator's rounding.
const ENTRY_OVERHEAD: usize = 96;

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

/// A run of text in [`Inventory`]'s text arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Text {
    start: u32,
    len: u32,
}

/// An UpdateId: absent, a GUID written in its canonical lowercase form
/// (kept as its 16 bytes, from which the text is rebuilt exactly), or any
/// other text, kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Id {
    Absent,
    Guid([u8; 16]),
    Text(Text),
}

/// One update, compactly: fixed-size, with its strings interned or in
/// arenas (under a hundred bytes).
#[derive(Debug, Clone, Copy)]
struct Slot {
    revision_id: u64,
    offset: u64,
    revision_number: Option<u64>,
    id: Id,
    creation_date: Option<Text>,
    /// Index into the pool of small values; 0 is absent.
    deployment_action: u32,
    /// Index into the pool of small values; 0 is absent.
    default_language: u32,
    /// Start of its BundledBy then SupersededBy RevisionIds in the refs
    /// arena.
    refs: u32,
    bundled_by: u32,
    superseded_by: u32,
    /// Start and length of its category indices in the categories arena.
    categories: u32,
    categories_len: u32,
    kind: Kind,
}

/// The value of a GUID in canonical form, when `bare` is one (either case).
fn parse_guid(bare: &str) -> Option<[u8; 16]> {
    let b = bare.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut n = 0;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let v = char::from(c).to_digit(16)?;
        out[n / 2] |= u8::try_from(v).ok()? << (if n % 2 == 0 { 4 } else { 0 });
        n += 1;
    }
    Some(out)
}

/// The canonical lowercase text of a GUID.
fn format_guid(g: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, byte) in g.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{byte:02x}");
    }
    s
}

/// Distinct small values (DeploymentAction, DefaultLanguage), numbered
/// from 1 in order of appearance.
#[derive(Debug, Clone)]
struct Pool {
    values: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
    /// About what `values` and `index` hold, for [`MAX_INDEX_BYTES`]: a
    /// hostile catalog can give every update its own DeploymentAction.
    held: usize,
}

impl Default for Pool {
    fn default() -> Pool {
        Pool {
            values: vec![Box::from("")],
            index: HashMap::new(),
            held: 0,
        }
    }
}

impl Pool {
    fn intern(&mut self, v: Option<&str>) -> u32 {
        let Some(v) = v else { return 0 };
        if let Some(&i) = self.index.get(v) {
            return i;
        }
        let i = u32::try_from(self.values.len()).expect("fewer than 2^32 values");
        self.values.push(Box::from(v));
        self.index.insert(Box::from(v), i);
        self.held += 2 * v.len() + ENTRY_OVERHEAD;
        i
    }

    fn get(&self, i: u32) -> Option<&str> {
        (i != 0).then(|| &*self.values[i as usize])
    }
}

/// What the slots point into.
#[derive(Debug, Clone, Default)]
struct Arenas {
    text: String,
    pool: Pool,
    refs: Vec<u64>,
    categories: Vec<u32>,
}

fn arena_index(n: usize) -> u32 {
    u32::try_from(n).expect("inventory arenas under 4 GiB")
}

impl Arenas {
    fn text(&mut self, v: &str) -> Text {
        let t = Text {
            start: arena_index(self.text.len()),
            len: arena_index(v.len()),
        };
        self.text.push_str(v);
        t
    }

    fn str(&self, t: Text) -> &str {
        &self.text[t.start as usize..(t.start + t.len) as usize]
    }
}

/// The catalog's updates.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// package.xml's root element and its attributes (`PackageId`,
    /// `CreationDate`, `MinimumClientVersion` …).
    pub root: RootInfo,
    /// Sorted by RevisionId (then by offset, should two share one).
    slots: Vec<Slot>,
    arenas: Arenas,
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
    /// UpdateId → index of its current revision, built on the first
    /// lookup: `list` never looks one up.
    update_ids: std::sync::OnceLock<UpdateIds>,
}

/// Where each UpdateId's current revision is.
#[derive(Debug, Clone, Default)]
struct UpdateIds {
    /// Indices of the current revision of every UpdateId that is a GUID,
    /// sorted by its value: 4 bytes an update, where a hash map of the
    /// 16-byte values took about 26 (11 MB at 408k updates).
    by_guid: Vec<u32>,
    /// The rare UpdateIds that are not GUIDs, normalized → index of the
    /// current revision.
    by_other_id: HashMap<String, u32>,
}

/// One update of an [`Inventory`], borrowed.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    inv: &'a Inventory,
    slot: &'a Slot,
}

impl<'a> EntryRef<'a> {
    /// The `RevisionId` attribute (0 when missing or not a number).
    pub fn revision_id(self) -> u64 {
        self.slot.revision_id
    }

    /// The `UpdateId` attribute as written; `None` when absent.
    pub fn update_id(self) -> Option<Cow<'a, str>> {
        match self.slot.id {
            Id::Absent => None,
            Id::Guid(g) => Some(Cow::Owned(format_guid(&g))),
            Id::Text(t) => Some(Cow::Borrowed(self.inv.arenas.str(t))),
        }
    }

    /// Whether its UpdateId is `id` (braces, surrounding space and case
    /// ignored).
    pub fn has_update_id(self, id: &str) -> bool {
        match self.slot.id {
            Id::Absent => false,
            Id::Guid(g) => parse_guid(bare_guid(id)) == Some(g),
            Id::Text(t) => same_guid(self.inv.arenas.str(t), id),
        }
    }

    /// The `RevisionNumber` attribute; `None` when missing or not a number.
    pub fn revision_number(self) -> Option<u64> {
        self.slot.revision_number
    }

    /// What the update is.
    pub fn kind(self) -> Kind {
        self.slot.kind
    }

    /// The `DeploymentAction` attribute: `None` when absent, `Some("")`
    /// when present and empty.
    pub fn deployment_action(self) -> Option<&'a str> {
        self.inv.arenas.pool.get(self.slot.deployment_action)
    }

    /// The `DefaultLanguage` attribute; `None` when absent.
    pub fn default_language(self) -> Option<&'a str> {
        self.inv.arenas.pool.get(self.slot.default_language)
    }

    /// The `CreationDate` attribute, as written; `None` when absent.
    pub fn creation_date(self) -> Option<&'a str> {
        self.slot.creation_date.map(|t| self.inv.arenas.str(t))
    }

    /// Its categories, as indices into [`Inventory::categories`].
    pub fn categories(self) -> &'a [u32] {
        let s = self.slot.categories as usize;
        &self.inv.arenas.categories[s..s + self.slot.categories_len as usize]
    }

    /// RevisionIds from `BundledBy`.
    pub fn bundled_by(self) -> &'a [u64] {
        let s = self.slot.refs as usize;
        &self.inv.arenas.refs[s..s + self.slot.bundled_by as usize]
    }

    /// RevisionIds from `SupersededBy`.
    pub fn superseded_by(self) -> &'a [u64] {
        let s = self.slot.refs as usize + self.slot.bundled_by as usize;
        &self.inv.arenas.refs[s..s + self.slot.superseded_by as usize]
    }

    /// Byte offset of the `<Update` tag in package.xml.
    pub fn offset(self) -> u64 {
        self.slot.offset
    }

    /// The entry as an owned [`Entry`].
    pub fn to_entry(self) -> Entry {
        Entry {
            revision_id: self.revision_id(),
            update_id: self.update_id().map(Cow::into_owned),
            revision_number: self.revision_number(),
            kind: self.kind(),
            deployment_action: self.deployment_action().map(str::to_string),
            default_language: self.default_language().map(str::to_string),
            creation_date: self.creation_date().map(str::to_string),
            categories: self.categories().into(),
            bundled_by: self.bundled_by().to_vec(),
            superseded_by: self.superseded_by().to_vec(),
            offset: self.offset(),
        }
    }
}

/// Distinct (Type, UpdateId) pairs, numbered in order of appearance.
#[derive(Default)]
struct Interner {
    pairs: Vec<(String, String)>,
    /// Hash of a pair → indices of the pairs with that hash.
    by_hash: HashMap<u64, Vec<u32>>,
    /// About what `pairs` and `by_hash` hold, for [`MAX_INDEX_BYTES`].
    held: usize,
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
        self.held += ty.len() + id.len() + ENTRY_OVERHEAD;
        i
    }
}

/// The slots and what they point into, shared by every batch's collector:
/// each update goes straight into them, so no batch holds a copy to be
/// joined at the end.
#[derive(Default)]
struct Built {
    slots: Vec<Slot>,
    arenas: Arenas,
    categories: Interner,
    /// Set once the index holds [`MAX_INDEX_BYTES`]; nothing more is added.
    full: bool,
    /// About what the batches' censuses hold in keys (they are merged only
    /// when the scan ends).
    census: usize,
}

impl Built {
    /// Bytes the index holds so far, the lookup to come included. Lengths,
    /// not capacities: the untouched tail of a grown vector is address
    /// space, not memory (large reallocations move pages, not bytes).
    fn held(&self) -> usize {
        let a = &self.arenas;
        let c = &self.categories;
        self.slots.len() * (std::mem::size_of::<Slot>() + LOOKUP_BYTES_PER_UPDATE)
            + a.text.len()
            + a.refs.len() * 8
            + a.categories.len() * 4
            + a.pool.held
            + c.held
            + self.census
    }
}

struct Collector<'a> {
    keep: &'a Keep<'a>,
    built: &'a Mutex<Built>,
    census: Census,
    details: Vec<Detail>,
    locations: Vec<(String, String)>,
    /// How many updates the index held when this collector found it full.
    refused: Option<usize>,
}

/// Appends the readable RevisionIds of `kind` to `out`; returns how many.
fn revision_ids(u: &Update, kind: RefKind, out: &mut Vec<u64>, unreadable: &mut u64) -> u32 {
    let before = out.len();
    for id in u.refs(kind) {
        match id.trim().parse() {
            Ok(n) => out.push(n),
            Err(_) => *unreadable += 1,
        }
    }
    arena_index(out.len() - before)
}

/// Counts one more of a key. Real catalogs have a handful of values per
/// counted attribute, found by comparison without building the key; a
/// hostile one with thousands falls back to the keyed lookup, so the cost
/// never grows with the square of the values.
/// Returns whether the key is new to the map.
fn bump<K: Ord>(
    map: &mut BTreeMap<K, u64>,
    is: impl Fn(&K) -> bool,
    key: impl FnOnce() -> K,
) -> bool {
    if map.len() <= 32 {
        if let Some((_, n)) = map.iter_mut().find(|(k, _)| is(k)) {
            *n += 1;
            return false;
        }
    }
    let before = map.len();
    *map.entry(key()).or_default() += 1;
    map.len() > before
}

impl Collector<'_> {
    /// Counts `u` in the census; returns about what the census's new keys
    /// cost: a hostile catalog can give every update its own attribute name
    /// or value, and each batch keeps its census until the scan ends.
    fn count(&mut self, u: &Update, kind: Kind) -> usize {
        let c = &mut self.census;
        *c.by_kind.entry(kind).or_default() += 1;
        let action = u.get("DeploymentAction");
        let mut census_cost = 0;
        if bump(
            &mut c.deployment_action,
            |k| k.as_deref() == action,
            || action.map(str::to_string),
        ) {
            census_cost += ENTRY_OVERHEAD + action.map_or(0, str::len);
        }
        for (name, value) in u.attributes() {
            match c.attributes.get_mut(name) {
                Some(n) => *n += 1,
                None => {
                    c.attributes.insert(name.to_string(), 1);
                    census_cost += ENTRY_OVERHEAD + name.len();
                }
            }
            if ENUMERATED.contains(&name)
                && bump(
                    &mut c.values,
                    |(a, v)| a == name && v == value,
                    || (name.to_string(), value.to_string()),
                )
            {
                census_cost += ENTRY_OVERHEAD + name.len() + value.len();
            }
        }
        for (ty, _) in u.categories() {
            match c.category_types.get_mut(ty) {
                Some(n) => *n += 1,
                None => {
                    c.category_types.insert(ty.to_string(), 1);
                    census_cost += ENTRY_OVERHEAD + ty.len();
                }
            }
        }
        census_cost
    }
}

impl Visitor for Collector<'_> {
    fn update(&mut self, u: &Update) {
        let kind = u.kind();
        let action = u.get("DeploymentAction");
        let census_cost = self.count(u, kind);
        let c = &mut self.census;
        let revision_id = u.revision_id().unwrap_or_default();
        let revision_number = u.get("RevisionNumber").and_then(|v| v.parse().ok());
        // Only a collector that panicked while holding the lock poisons it,
        // and that panic ends the scan.
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        let b = &mut *built;
        if b.full {
            self.refused = Some(b.slots.len());
            return;
        }
        b.census += census_cost;
        let ar = &mut b.arenas;
        let id = match u.get("UpdateId") {
            None => Id::Absent,
            Some(v) => match parse_guid(v) {
                Some(g) if !v.bytes().any(|b| b.is_ascii_uppercase()) => Id::Guid(g),
                _ => Id::Text(ar.text(v)),
            },
        };
        let refs = arena_index(ar.refs.len());
        let bundled_by = revision_ids(u, RefKind::BundledBy, &mut ar.refs, &mut c.unreadable_refs);
        let superseded_by = revision_ids(
            u,
            RefKind::SupersededBy,
            &mut ar.refs,
            &mut c.unreadable_refs,
        );
        let categories = arena_index(ar.categories.len());
        for (t, id) in u.categories() {
            ar.categories.push(b.categories.intern(t, id));
        }
        b.slots.push(Slot {
            revision_id,
            offset: u.offset,
            revision_number,
            id,
            creation_date: u.get("CreationDate").map(|v| ar.text(v)),
            deployment_action: ar.pool.intern(action),
            default_language: ar.pool.intern(u.get("DefaultLanguage")),
            refs,
            bundled_by,
            superseded_by,
            categories,
            categories_len: arena_index(ar.categories.len()) - categories,
            kind,
        });
        if b.held() > MAX_INDEX_BYTES {
            b.full = true;
            self.refused = Some(b.slots.len());
        }
        drop(built);
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

    fn refusal(&mut self) -> Option<Error> {
        let held = self.refused?;
        Some(Error::new(
            ErrorKind::Limit,
            format!(
                "package.xml: the update index reached its bound of {} MiB (MAX_INDEX_BYTES) \
                 with {held} updates read; a catalog of 136k updates needs about 21 MB",
                MAX_INDEX_BYTES >> 20
            ),
        ))
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
    let built = Mutex::new(Built::default());
    let new = || Collector {
        keep,
        built: &built,
        census: Census::default(),
        details: Vec::new(),
        locations: Vec::new(),
        refused: None,
    };
    let scanned = scan(&mut xml, scan_options, &new, None)
        .map_err(|e| crate::catalog::scan_error(e, catalog.path()))?;
    xml.finish()?;
    let mut inv = Inventory {
        root: scanned.document.root.clone(),
        package_xml_len: scanned.document.len,
        ..Inventory::default()
    };
    for c in scanned.visitors {
        inv.census.merge(c.census);
        inv.details.extend(c.details);
        inv.file_locations.extend(c.locations);
    }
    let built = built.into_inner().unwrap_or_else(|e| e.into_inner());
    inv.slots = built.slots;
    inv.arenas = built.arenas;
    inv.categories = built.categories.pairs;
    // (RevisionId, offset) is unique: an unstable sort is deterministic,
    // and needs no buffer.
    inv.slots
        .sort_unstable_by_key(|e| (e.revision_id, e.offset));
    inv.details.sort_by_key(|d| d.revision_id);
    // Grown by doubling during the scan: up to half of each is spare room,
    // about 20 MB at 408k updates, given back before the UpdateId index
    // and whatever the command does next (issue 13).
    inv.slots.shrink_to_fit();
    inv.arenas.text.shrink_to_fit();
    inv.arenas.refs.shrink_to_fit();
    inv.arenas.categories.shrink_to_fit();
    Ok(inv)
}

impl Inventory {
    /// Finds each UpdateId's current revision: of several revisions of one
    /// UpdateId, the one with the highest RevisionNumber.
    fn index_update_ids(&self) -> UpdateIds {
        let mut by_other_id: HashMap<String, u32> = HashMap::new();
        let mut by_guid: Vec<u32> = Vec::new();
        for (i, e) in self.slots.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 2^32 updates");
            match self.guid_of(e) {
                Some(_) => by_guid.push(i),
                None => {
                    let Id::Text(t) = e.id else { continue };
                    let other = normalized_guid(self.arenas.str(t));
                    let current = by_other_id.get(&other);
                    if current
                        .is_none_or(|&j| self.slots[j as usize].revision_number < e.revision_number)
                    {
                        by_other_id.insert(other, i);
                    }
                }
            }
        }
        // Of several revisions of one UpdateId, the highest RevisionNumber
        // is current; of equal ones, the first in RevisionId order (the
        // stable sort keeps it first).
        by_guid.sort_by_key(|&i| {
            let e = &self.slots[i as usize];
            (self.guid_of(e), std::cmp::Reverse(e.revision_number))
        });
        by_guid.dedup_by_key(|&mut i| self.guid_of(&self.slots[i as usize]));
        by_guid.shrink_to_fit();
        UpdateIds {
            by_guid,
            by_other_id,
        }
    }

    /// The value of a slot's UpdateId when it is a GUID, in any of the
    /// forms [`same_guid`] accepts.
    fn guid_of(&self, e: &Slot) -> Option<[u8; 16]> {
        match e.id {
            Id::Absent => None,
            Id::Guid(g) => Some(g),
            Id::Text(t) => parse_guid(bare_guid(self.arenas.str(t))),
        }
    }
}

/// The download Urls of the payload files `ids` names (`<FileLocation>` Id
/// → Url), from a pass of their own over package.xml that looks at nothing
/// else: a catalog has hundreds of thousands of them, and only these are
/// kept.
pub fn file_locations(
    catalog: &Catalog,
    scan_options: &ScanOptions,
    ids: &HashSet<&str>,
) -> Result<HashMap<String, String>> {
    struct Locator<'a> {
        ids: &'a HashSet<&'a str>,
        found: Vec<(String, String)>,
    }
    impl Visitor for Locator<'_> {
        fn update(&mut self, _: &Update) {}
        fn wants_refs(&mut self, _: &Update) -> bool {
            false
        }
        fn file_location(&mut self, id: &str, url: &str) {
            if self.ids.contains(id) {
                self.found.push((id.to_string(), url.to_string()));
            }
        }
    }
    let mut xml = catalog.stream_package_xml()?;
    let new = || Locator {
        ids,
        found: Vec::new(),
    };
    let scanned = scan(&mut xml, scan_options, &new, None)
        .map_err(|e| crate::catalog::scan_error(e, catalog.path()))?;
    xml.finish()?;
    // In document order: the last of two with one Id wins, as in
    // Inventory::file_locations.
    Ok(scanned.visitors.into_iter().flat_map(|l| l.found).collect())
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
    /// How many updates there are.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The `i`th update in RevisionId order.
    pub fn at(&self, i: usize) -> EntryRef<'_> {
        EntryRef {
            inv: self,
            slot: &self.slots[i],
        }
    }

    /// Every update, sorted by RevisionId (then by offset, should two share
    /// one).
    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> {
        self.slots.iter().map(|slot| EntryRef { inv: self, slot })
    }

    /// The update with this RevisionId.
    pub fn get(&self, revision_id: u64) -> Option<EntryRef<'_>> {
        let i = self.slots.partition_point(|e| e.revision_id < revision_id);
        self.slots
            .get(i)
            .filter(|e| e.revision_id == revision_id)
            .map(|slot| EntryRef { inv: self, slot })
    }

    /// The current revision of an UpdateId (braces and case ignored).
    pub fn by_update_id(&self, update_id: &str) -> Option<EntryRef<'_>> {
        let ids = self.update_ids.get_or_init(|| self.index_update_ids());
        let i = match parse_guid(bare_guid(update_id)) {
            Some(g) => {
                let key = Some(g);
                let at = ids
                    .by_guid
                    .partition_point(|&i| self.guid_of(&self.slots[i as usize]) < key);
                ids.by_guid
                    .get(at)
                    .filter(|&&i| self.guid_of(&self.slots[i as usize]) == key)
            }
            None => ids.by_other_id.get(&normalized_guid(update_id)),
        };
        i.map(|&i| self.at(i as usize))
    }

    /// The full record of this RevisionId, when [`Keep::detail`] kept it.
    pub fn detail(&self, revision_id: u64) -> Option<&Detail> {
        self.details.iter().find(|d| d.revision_id == revision_id)
    }

    /// Supersedence totals.
    pub fn supersedence(&self) -> Supersedence {
        let mut s = Supersedence::default();
        let mut superseding = HashSet::new();
        for e in self.iter() {
            if !e.superseded_by().is_empty() {
                s.superseded_updates += 1;
            }
            for &r in e.superseded_by() {
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
        self.iter()
            .filter(|e| e.superseded_by().contains(&revision_id))
            .map(EntryRef::revision_id)
            .collect()
    }

    /// RevisionIds of the updates bundled into `revision_id`.
    pub fn bundled_into(&self, revision_id: u64) -> Vec<u64> {
        self.iter()
            .filter(|e| e.bundled_by().contains(&revision_id))
            .map(EntryRef::revision_id)
            .collect()
    }

    /// Category UpdateIds (lowercase, as written) → RevisionIds, for naming
    /// products and classifications.
    pub fn category_map(&self) -> HashMap<String, u64> {
        self.iter()
            .filter(|e| e.kind() == Kind::Category)
            .filter_map(|e| {
                let id = e.update_id()?.to_ascii_lowercase();
                Some((id, e.revision_id()))
            })
            .collect()
    }

    /// What naming an update needs from package.xml.
    pub fn subject<'a>(&'a self, e: EntryRef<'a>) -> Subject<'a> {
        Subject {
            revision_id: e.revision_id(),
            default_language: e.default_language().map(Cow::Borrowed),
            categories: self
                .categories_of(e)
                .map(|(t, id)| (Cow::Borrowed(t), Cow::Borrowed(id)))
                .collect(),
            bundled_by: e.bundled_by().first().copied(),
        }
    }

    /// An entry's categories as (Type, UpdateId).
    pub fn categories_of<'a>(
        &'a self,
        e: EntryRef<'a>,
    ) -> impl Iterator<Item = (&'a str, &'a str)> {
        e.categories().iter().map(|&i| {
            let (t, id) = &self.categories[i as usize];
            (t.as_str(), id.as_str())
        })
    }

    /// References to each category by (Type, UpdateId): how many updates
    /// name it.
    pub fn category_counts(&self) -> BTreeMap<(String, String), u64> {
        let mut counts = vec![0u64; self.categories.len()];
        for &i in &self.arenas.categories {
            counts[i as usize] += 1;
        }
        self.categories.iter().cloned().zip(counts).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_round_trip_only_in_canonical_form() {
        let id = "2bf2a5f4-96e5-4e0b-9f1c-0123456789ab";
        let g = parse_guid(id).expect("a GUID");
        assert_eq!(format_guid(&g), id);
        assert_eq!(parse_guid(&id.to_ascii_uppercase()), Some(g));
        assert_eq!(parse_guid("2bf2a5f4-96e5-4e0b-9f1c-0123456789a"), None);
        assert_eq!(parse_guid("2bf2a5f4-96e5-4e0b-9f1c+0123456789ab"), None);
        assert_eq!(parse_guid("zbf2a5f4-96e5-4e0b-9f1c-0123456789ab"), None);
    }

    #[test]
    fn a_slot_is_compact() {
        assert!(std::mem::size_of::<Slot>() <= 96);
    }
}
