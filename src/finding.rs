//! Findings: what a check found, as data. How they are shown is the report
//! layer's business.

use serde::Serialize;

use crate::explain::Names;
use crate::profile::Severity;
use crate::update::Kind;

/// One update that breaks (or may break) a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub revision_id: u64,
    /// `None` when the update has no UpdateId attribute.
    pub update_id: Option<String>,
    /// `None` when missing or not a number.
    pub revision_number: Option<u64>,
    pub kind: Kind,
    /// The attribute the rule is about.
    pub attribute: String,
    /// Its value: `None` when absent (distinct from `Some("")`).
    pub value: Option<String>,
    pub rule: String,
    pub profile: String,
    pub severity: Severity,
    pub message: String,
    /// Byte offset of the `<Update` tag in package.xml.
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
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Compatible => "compatible",
            Verdict::Incompatible => "incompatible",
        }
    }
}
