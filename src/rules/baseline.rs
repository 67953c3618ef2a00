//! `baseline`: a catalog's vocabulary written as a profile.
//!
//! The file is the same TOML `check --profile` reads (`kind = "baseline"`
//! and a `[vocabulary]`), so learning and checking cannot drift apart, and an
//! administrator can read, diff and edit it: every list is sorted and every
//! entry carries its count in a comment. Counts are comments rather than data
//! because they describe the source catalog and are not rules; only the names
//! and values are.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::catalog::CatalogIdentity;
use crate::rules::profile::Severity;
use crate::rules::vocab::{Combination, Tally, Term, Vocabulary};

/// Of one attribute: updates lacking it, and each value with its count.
type Seen<'a> = (Option<u64>, Vec<(&'a str, u64)>);

/// How to write a baseline.
#[derive(Debug, Clone)]
pub struct BaselineOptions {
    /// The profile's name; `None` derives one from the catalog's CreationDate.
    pub name: Option<String>,
    /// Severity of every novelty.
    pub severity: Severity,
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list<'a>(out: &mut String, key: &str, items: impl Iterator<Item = (&'a str, u64)>, unit: &str) {
    let _ = writeln!(out, "{key} = [");
    for (item, count) in items {
        let _ = writeln!(out, "    {},  # {count}{unit}", q(item));
    }
    let _ = writeln!(out, "]");
}

/// The baseline TOML for the vocabulary of catalog `c` (what a check
/// collects when asked to learn).
pub fn to_toml(vocab: &Vocabulary, c: &CatalogIdentity, options: &BaselineOptions) -> String {
    let unknown = "(absent)".to_string();
    let date = c.creation_date.as_deref().unwrap_or("unknown");
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| format!("baseline-{}", date.get(..10).unwrap_or(date)));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# wsuscat baseline: the vocabulary of a catalog that synced fine.\n\
         # Learned from {}\n\
         #   PackageId     {}\n\
         #   CreationDate  {}\n\
         #   updates       {}\n\
         # Check a new catalog against it:\n\
         #   wsuscat check --baseline THIS-FILE.toml NEW-wsusscn2.cab\n\
         # Anything the new catalog uses that is not listed here is a finding.\n\
         # Counts in comments are elements (element paths, attribute names) or\n\
         # updates (values, combinations) in the source catalog; they are not rules.\n\
         # A section left out is not checked; set severity = \"warn\" to report\n\
         # novelties without failing.",
        c.path,
        c.package_id.as_ref().unwrap_or(&unknown),
        c.creation_date.as_ref().unwrap_or(&unknown),
        vocab.updates
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "kind = \"baseline\"");
    let _ = writeln!(out, "name = {}", q(&name));
    let _ = writeln!(
        out,
        "description = {}",
        q(&format!(
            "Vocabulary of catalog {} (CreationDate {})",
            c.package_id.as_ref().unwrap_or(&unknown),
            c.creation_date.as_ref().unwrap_or(&unknown)
        ))
    );
    let _ = writeln!(
        out,
        "evidence = {}",
        q("Learned by wsuscat baseline from a catalog that synced fine: everything it used. A new catalog using anything else carries something the consumer has never been shown.")
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "[source]");
    let _ = writeln!(out, "path = {}", q(&c.path));
    if !c.sha256.is_empty() {
        let _ = writeln!(out, "sha256 = {}", q(&c.sha256));
    }
    if let Some(p) = &c.package_id {
        let _ = writeln!(out, "package_id = {}", q(p));
    }
    if let Some(d) = &c.creation_date {
        let _ = writeln!(out, "creation_date = {}", q(d));
    }
    let _ = writeln!(out, "updates = {}", vocab.updates);
    let _ = writeln!(out);

    let mut elements = Vec::new();
    let mut index_elements = Vec::new();
    let mut attributes: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    let mut index_attributes: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    let mut values: BTreeMap<&str, Seen> = BTreeMap::new();
    let mut combinations: Vec<(&Combination, &Tally)> = Vec::new();
    for (term, t) in &vocab.terms {
        match term {
            Term::Element { path } => elements.push((path.as_str(), t.occurrences)),
            Term::IndexElement { path } => index_elements.push((path.as_str(), t.occurrences)),
            Term::Attribute { path, name } => attributes
                .entry(path)
                .or_default()
                .push((name, t.occurrences)),
            Term::IndexAttribute { path, name } => index_attributes
                .entry(path)
                .or_default()
                .push((name, t.occurrences)),
            Term::Value { attribute, value } => {
                let slot = values.entry(attribute).or_default();
                match value {
                    None => slot.0 = Some(t.occurrences),
                    Some(v) => slot.1.push((v, t.occurrences)),
                }
            }
            Term::Combination(c) => combinations.push((c, t)),
        }
    }
    let _ = writeln!(out, "[vocabulary]");
    let _ = writeln!(out, "severity = \"{}\"", options.severity.as_str());
    list(&mut out, "elements", elements.into_iter(), "");
    list(&mut out, "index_elements", index_elements.into_iter(), "");
    for (table, map) in [
        ("attributes", attributes),
        ("index_attributes", index_attributes),
    ] {
        let _ = writeln!(out);
        let _ = writeln!(out, "[vocabulary.{table}]");
        for (path, names) in map {
            list(&mut out, &q(path), names.into_iter(), "");
        }
    }
    for (attribute, (absent, present)) in values {
        let _ = writeln!(out);
        let _ = writeln!(out, "[vocabulary.values.{}]", q(attribute));
        match absent {
            Some(n) => {
                let _ = writeln!(out, "absent = true  # {n} updates");
            }
            None => {
                let _ = writeln!(out, "absent = false");
            }
        }
        list(&mut out, "values", present.into_iter(), " updates");
    }
    for (c, t) in combinations {
        let _ = writeln!(out);
        let _ = writeln!(out, "[[vocabulary.combinations]]  # {} updates", t.updates);
        for (key, v) in [
            ("is_bundle", &c.is_bundle),
            ("is_leaf", &c.is_leaf),
            ("deployment_action", &c.deployment_action),
            ("is_software", &c.is_software),
        ] {
            if let Some(v) = v {
                let _ = writeln!(out, "{key} = {}", q(v));
            }
        }
        let _ = writeln!(out, "bundled_by = {}", c.bundled_by);
        let _ = writeln!(out, "payload_files = {}", c.payload_files);
    }
    out
}
