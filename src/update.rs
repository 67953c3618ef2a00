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
    pub const ALL: [Kind; 4] = [Kind::Bundle, Kind::Child, Kind::Category, Kind::Other];

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

/// The children of `<Update>` that change what an update is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Children {
    pub bundled_by: bool,
    pub payload_files: bool,
    pub superseded_by: bool,
    pub prerequisites: bool,
    pub categories: bool,
}

/// One `<Update>` element: every attribute, raw but unescaped, in document
/// order.
#[derive(Debug, Clone, Default)]
pub struct Update {
    text: String,
    attrs: Vec<(Range<usize>, Range<usize>)>,
    pub children: Children,
    /// Byte offset of the `<Update` tag in package.xml.
    pub offset: u64,
}

impl Update {
    pub fn clear(&mut self) {
        self.text.clear();
        self.attrs.clear();
        self.children = Children::default();
        self.offset = 0;
    }

    pub fn push_attribute(&mut self, name: &str, value: &str) {
        let n0 = self.text.len();
        self.text.push_str(name);
        let n1 = self.text.len();
        self.text.push_str(value);
        let v1 = self.text.len();
        self.attrs.push((n0..n1, n1..v1));
    }

    /// The attribute's value: `None` when absent, `Some("")` when empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| &self.text[n.clone()] == name)
            .map(|(_, v)| &self.text[v.clone()])
    }

    pub fn attributes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs
            .iter()
            .map(|(n, v)| (&self.text[n.clone()], &self.text[v.clone()]))
    }

    /// RevisionId as a number, when it is one.
    pub fn revision_id(&self) -> Option<u64> {
        self.get("RevisionId").and_then(|v| v.parse().ok())
    }

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
