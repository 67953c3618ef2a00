//! Findings: what a check found, as data. How they are shown is the report
//! layer's business.

use std::sync::Arc;

use serde::Serialize;

use crate::catalog::names::Names;
use crate::catalog::update::Kind;
use crate::rules::profile::Severity;
use crate::rules::vocab::Term;

/// One update that breaks (or may break) a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The update's RevisionId attribute (0 when it is missing or not a
    /// number); the first sort key of the report.
    pub revision_id: u64,
    /// `None` when the update has no UpdateId attribute.
    pub update_id: Option<String>,
    /// `None` when missing or not a number.
    pub revision_number: Option<u64>,
    /// What the update is (bundle, bundled child, category/detectoid or
    /// other), from its attributes and children.
    pub kind: Kind,
    /// The attribute the rule is about. This and the rule's other strings
    /// are shared by every finding of the rule (a profile that flags every
    /// update makes a finding of each).
    pub attribute: Arc<str>,
    /// Its value: `None` when absent (distinct from `Some("")`).
    pub value: Option<String>,
    /// The name of the rule broken, as the profile's `[[rule]]` gives it
    /// (`deployment-action`).
    pub rule: Arc<str>,
    /// The name of the profile the rule belongs to.
    pub profile: Arc<str>,
    /// The rule's severity: `breaks` makes the verdict "incompatible",
    /// `warn` does not.
    pub severity: Severity,
    /// Why the violation matters: the rule's `message`, or "`<attribute>`
    /// is not allowed by `<profile>`" when the rule has none.
    pub message: Arc<str>,
    /// Byte offset of the `<Update` tag in the decompressed package.xml.
    pub offset: u64,
    /// Title, KB article, severity, classification, products and bundle,
    /// from the shards; notes say what could not be found.
    #[serde(flatten)]
    pub names: Names,
}

impl Finding {
    /// The order findings are reported in, whatever order the pool found
    /// them in.
    pub fn sort_key(&self) -> (u64, Option<&str>, &str, &str) {
        (
            self.revision_id,
            self.update_id.as_deref(),
            &self.profile,
            &self.rule,
        )
    }
}

/// An update a catalog-level finding names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateRef {
    /// The update's RevisionId.
    pub revision_id: u64,
    /// From the update's `l\en` fragment, when it could be read.
    pub title: Option<String>,
}

/// A finding about the catalog as a whole rather than one update: a
/// novelty against a baseline (which may be carried by thousands of
/// updates, or by none, like a new root attribute), an update pattern a
/// combination rule forbids, or a constraint such as `--wua-version` or
/// `--max-age`. One finding per thing found, with how many updates carry it
/// and the first of them, so a new value on 100,000 updates is one line,
/// not 100,000.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogFinding {
    /// The rule's name: `new-element`, `new-attribute`, `new-value` or
    /// `new-combination` for novelties, the `[[combination_rule]]`'s name
    /// (`nested-bundle`), or `wua-version` / `max-age` for constraints.
    pub rule: String,
    /// The profile the rule belongs to; `options` for the constraints that
    /// come from command-line options.
    pub profile: String,
    /// The rule's severity: `breaks` makes the verdict "incompatible",
    /// `warn` does not.
    pub severity: Severity,
    /// What was found, in one line (`value Update@DeploymentAction="X"`).
    pub subject: String,
    /// The vocabulary term, for novelties; `None` otherwise.
    pub term: Option<Term>,
    /// Updates carrying it (0 when it is not about updates).
    pub updates: u64,
    /// Elements (or updates, or 1 for a catalog fact) carrying it.
    pub occurrences: u64,
    /// The first updates carrying it (at most
    /// [`FIRST`](crate::rules::vocab::FIRST)), in document order; empty when
    /// it is not about updates.
    pub first: Vec<UpdateRef>,
    /// Why it matters, in one sentence for the report.
    pub message: String,
}

impl CatalogFinding {
    /// The order catalog findings are reported in: by profile, rule and
    /// subject, whatever order they were found in.
    pub fn sort_key(&self) -> (&str, &str, &str) {
        (&self.profile, &self.rule, &self.subject)
    }
}

/// The one-word answer a scheduled task acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The whole catalog was read and nothing breaks the consumer.
    Compatible,
    /// At least one finding of severity `breaks`.
    Incompatible,
}

impl Verdict {
    /// The verdict as reports and JSON write it: `compatible` or
    /// `incompatible`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Compatible => "compatible",
            Verdict::Incompatible => "incompatible",
        }
    }
}

/// A value as findings and reports show it: `(absent)`, `""`, or quoted
/// with escapes, so that an empty value, a missing one and one with control
/// characters can be told apart.
pub fn show_value(value: Option<&str>) -> String {
    match value {
        None => "(absent)".to_string(),
        Some(v) => format!("{v:?}"),
    }
}
