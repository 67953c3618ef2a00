//! One `<Update>` of package.xml, as a reusable record.
//!
//! A full catalog has about 136k updates; the record is filled in place for
//! each one (attribute text goes into one reused string), so checking does
//! not allocate per update.

use std::ops::Range;

/// What an update is, from its attributes and children. Bundles carry the
/// metadata admins see; bundled children carry the payload; categories and
/// detectoids are the taxonomy and the applicability tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `IsBundle="true"`.
    Bundle,
    /// Bundled into another update: `DeploymentAction="Bundle"` or a
    /// `<BundledBy>` child.
    Child,
    /// A category or detectoid: `DeploymentAction="Evaluate"` or
    /// `IsSoftware="false"`.
    Category,
    /// Anything else (for example a stand-alone installable).
    Other,
}

impl Kind {
    /// Every kind, in the order reports count them.
    pub const ALL: [Kind; 4] = [Kind::Bundle, Kind::Child, Kind::Category, Kind::Other];

    /// The kind as JSON and CSV write it: `bundle`, `child`, `category` or
    /// `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bundle => "bundle",
            Kind::Child => "child",
            Kind::Category => "category",
            Kind::Other => "other",
        }
    }

    /// The plural label, for counts.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Bundle => "bundles",
            Kind::Child => "bundled children",
            Kind::Category => "categories/detectoids",
            Kind::Other => "other",
        }
    }

    /// A longer label for human reports.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Bundle => "bundle",
            Kind::Child => "bundled child",
            Kind::Category => "category/detectoid",
            Kind::Other => "other",
        }
    }
}

/// The children of `<Update>` that change what an update is: which of the
/// known ones are present (set for every update, whether or not its
/// references were collected).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Children {
    /// A `<BundledBy>` child: the update is bundled into another one.
    pub bundled_by: bool,
    /// A `<PayloadFiles>` child: the update carries downloadable files.
    pub payload_files: bool,
    /// A `<SupersededBy>` child: newer revisions replace it.
    pub superseded_by: bool,
    /// A `<Prerequisites>` child.
    pub prerequisites: bool,
    /// A `<Categories>` child.
    pub categories: bool,
    /// A `<Languages>` child.
    pub languages: bool,
    /// An `<EulaFiles>` child: the update has a licence to accept.
    pub eula_files: bool,
}

/// A reference an `<Update>` makes through one of its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// `Prerequisites/UpdateId/@Id`, or `Prerequisites/Or/UpdateId/@Id`
    /// (then with the Or group's number): an UpdateId.
    Prerequisite,
    /// `Categories/Category/@Id` (an UpdateId), with `@Type` as the detail.
    Category,
    /// `Languages/Language/@Name`.
    Language,
    /// `PayloadFiles/File/@Id`: base64 of the payload's SHA-1.
    PayloadFile,
    /// `EulaFiles/File/@Id`.
    EulaFile,
    /// `BundledBy/Revision/@Id`: a RevisionId.
    BundledBy,
    /// `SupersededBy/Revision/@Id`: a RevisionId.
    SupersededBy,
}

/// One reference, as ranges into the record's text.
#[derive(Debug, Clone)]
struct Ref {
    kind: RefKind,
    /// 0 for a plain prerequisite, n for the n-th `<Or>` group.
    group: u32,
    id: Range<usize>,
    detail: Range<usize>,
}

/// One `<Update>` element: every attribute, raw but unescaped, in document
/// order, and the references its children make.
#[derive(Debug, Clone, Default)]
pub struct Update {
    text: String,
    attrs: Vec<(Range<usize>, Range<usize>)>,
    refs: Vec<Ref>,
    /// Local names of children that are none of the known ones, in order.
    other_children: Vec<Range<usize>>,
    /// Which of the known children the update has.
    pub children: Children,
    /// Byte offset of the `<Update` tag in the decompressed package.xml.
    pub offset: u64,
}

impl Update {
    /// Empties the record for the next `<Update>`, keeping its allocations.
    pub fn clear(&mut self) {
        self.text.clear();
        self.attrs.clear();
        self.refs.clear();
        self.other_children.clear();
        self.children = Children::default();
        self.offset = 0;
    }

    /// Records an attribute: its name as written and its unescaped value.
    pub fn push_attribute(&mut self, name: &str, value: &str) {
        let n0 = self.text.len();
        self.text.push_str(name);
        let n1 = self.text.len();
        self.text.push_str(value);
        let v1 = self.text.len();
        self.attrs.push((n0..n1, n1..v1));
    }

    /// Records a reference made by a child element.
    pub fn push_ref(&mut self, kind: RefKind, group: u32, id: &str, detail: &str) {
        let i0 = self.text.len();
        self.text.push_str(id);
        let i1 = self.text.len();
        self.text.push_str(detail);
        let d1 = self.text.len();
        self.refs.push(Ref {
            kind,
            group,
            id: i0..i1,
            detail: i1..d1,
        });
    }

    /// Records a child element that is none of the known ones.
    pub fn push_other_child(&mut self, local_name: &str) {
        let n0 = self.text.len();
        self.text.push_str(local_name);
        self.other_children.push(n0..self.text.len());
    }

    /// The Ids of one kind of reference, in document order.
    pub fn refs(&self, kind: RefKind) -> impl Iterator<Item = &str> {
        self.refs
            .iter()
            .filter(move |r| r.kind == kind)
            .map(|r| &self.text[r.id.clone()])
    }

    /// Every reference: (kind, Or group, Id, detail). The detail is a
    /// category's `Type` and empty otherwise.
    pub fn all_refs(&self) -> impl Iterator<Item = (RefKind, u32, &str, &str)> {
        self.refs.iter().map(|r| {
            (
                r.kind,
                r.group,
                &self.text[r.id.clone()],
                &self.text[r.detail.clone()],
            )
        })
    }

    /// Categories as (Type, UpdateId).
    pub fn categories(&self) -> impl Iterator<Item = (&str, &str)> {
        self.refs
            .iter()
            .filter(|r| r.kind == RefKind::Category)
            .map(|r| (&self.text[r.detail.clone()], &self.text[r.id.clone()]))
    }

    /// Children that are none of the known ones, by local name.
    pub fn other_children(&self) -> impl Iterator<Item = &str> {
        self.other_children.iter().map(|r| &self.text[r.clone()])
    }

    /// The attribute's value: `None` when absent, `Some("")` when empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| &self.text[n.clone()] == name)
            .map(|(_, v)| &self.text[v.clone()])
    }

    /// Every attribute as (name, value), in document order.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs
            .iter()
            .map(|(n, v)| (&self.text[n.clone()], &self.text[v.clone()]))
    }

    /// RevisionId as a number, when it is one.
    pub fn revision_id(&self) -> Option<u64> {
        self.get("RevisionId").and_then(|v| v.parse().ok())
    }

    /// What the update is, tested in [`Kind`]'s order: a bundle first, then
    /// a bundled child, then a category or detectoid.
    pub fn kind(&self) -> Kind {
        let is_true = |name| self.get(name) == Some("true");
        let action = self.get("DeploymentAction");
        if is_true("IsBundle") {
            Kind::Bundle
        } else if action == Some("Bundle") || self.children.bundled_by {
            Kind::Child
        } else if action == Some("Evaluate") || self.get("IsSoftware") == Some("false") {
            Kind::Category
        } else {
            Kind::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_empty_are_distinct() {
        let mut u = Update::default();
        u.push_attribute("DeploymentAction", "");
        assert_eq!(u.get("DeploymentAction"), Some(""));
        assert_eq!(u.get("IsBundle"), None);
        u.clear();
        assert_eq!(u.get("DeploymentAction"), None);
    }

    #[test]
    fn kinds_follow_attributes_and_children() {
        let mut u = Update::default();
        u.push_attribute("IsBundle", "true");
        u.push_attribute("DeploymentAction", "Bundle");
        assert_eq!(u.kind(), Kind::Bundle);
        u.clear();
        u.children.bundled_by = true;
        assert_eq!(u.kind(), Kind::Child);
        u.clear();
        u.push_attribute("DeploymentAction", "Evaluate");
        assert_eq!(u.kind(), Kind::Category);
        u.clear();
        u.push_attribute("DeploymentAction", "bundle");
        assert_eq!(u.kind(), Kind::Other);
    }
}
