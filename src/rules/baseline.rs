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
    /// Lines written first in the header as `# WARNING:` comments (that the
    /// catalog learned from is incompatible with the judging profiles, say).
    pub warnings: Vec<String>,
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
    let date = c.creation_date.as_deref().unwrap_or("unknown");
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| format!("baseline-{}", date.get(..10).unwrap_or(date)));
    let mut out = String::new();
    for w in &options.warnings {
        let _ = writeln!(out, "# WARNING: {w}");
    }
    write_preamble(&mut out, vocab, c);
    let _ = writeln!(out);
    write_profile_keys(&mut out, c, &name);
    let _ = writeln!(out);
    write_source(&mut out, vocab, c);
    let _ = writeln!(out);
    let terms = TermsBySection::of(vocab);
    let _ = writeln!(out, "[vocabulary]");
    let _ = writeln!(out, "severity = \"{}\"", options.severity.as_str());
    list(&mut out, "elements", terms.elements.into_iter(), "");
    list(
        &mut out,
        "index_elements",
        terms.index_elements.into_iter(),
        "",
    );
    write_attribute_tables(&mut out, terms.attributes, terms.index_attributes);
    write_value_tables(&mut out, terms.values);
    write_combinations(&mut out, terms.combinations);
    out
}

/// `(absent)` for a header value the catalog lacks.
fn or_absent(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(absent)")
}

/// The leading comment: where the baseline was learned, how to use it and
/// what its counts mean.
fn write_preamble(out: &mut String, vocab: &Vocabulary, c: &CatalogIdentity) {
    let _ = writeln!(
        out,
        "# wsuscat baseline: the vocabulary of a catalog that synced fine.\n\
         # Learned from {}\n\
         #   PackageId     {}\n\
         #   CreationDate  {}\n\
         #   updates       {}\n\
         # Check a new catalog against it:\n\
         #   wsuscat check --baseline THIS-FILE.toml NEW-wsusscn2.cab\n\
         # Anything the new catalog uses that is not listed here is a finding;\n\
         # the default profile (or those --profile names) judges as well.\n\
         # Counts in comments are elements (element paths, attribute names) or\n\
         # updates (values, combinations) in the source catalog; they are not rules.\n\
         # A section left out is not checked; with severity = \"warn\" novelties\n\
         # are reported without failing (the profiles' own rules still can).",
        c.path,
        or_absent(&c.package_id),
        or_absent(&c.creation_date),
        vocab.updates
    );
}

/// The top-level keys every profile has: kind, name, description, evidence.
fn write_profile_keys(out: &mut String, c: &CatalogIdentity, name: &str) {
    let _ = writeln!(out, "kind = \"baseline\"");
    let _ = writeln!(out, "name = {}", q(name));
    let _ = writeln!(
        out,
        "description = {}",
        q(&format!(
            "Vocabulary of catalog {} (CreationDate {})",
            or_absent(&c.package_id),
            or_absent(&c.creation_date)
        ))
    );
    let _ = writeln!(
        out,
        "evidence = {}",
        q("Learned by wsuscat baseline from a catalog that synced fine: everything it used. A new catalog using anything else carries something the consumer has never been shown.")
    );
}

/// `[source]`: the catalog learned from; keys it lacks are left out.
fn write_source(out: &mut String, vocab: &Vocabulary, c: &CatalogIdentity) {
    let _ = writeln!(out, "[source]");
    let _ = writeln!(out, "path = {}", q(&c.path));
    if let Some(sha256) = &c.sha256 {
        let _ = writeln!(out, "sha256 = {}", q(sha256));
    }
    if let Some(p) = &c.package_id {
        let _ = writeln!(out, "package_id = {}", q(p));
    }
    if let Some(d) = &c.creation_date {
        let _ = writeln!(out, "creation_date = {}", q(d));
    }
    let _ = writeln!(out, "updates = {}", vocab.updates);
}

/// Names with their counts, listed under one key.
type Counted<'a> = Vec<(&'a str, u64)>;

/// The vocabulary's terms sorted into the TOML sections that list them,
/// each keeping the (sorted) order of [`Vocabulary::terms`].
#[derive(Default)]
struct TermsBySection<'a> {
    elements: Counted<'a>,
    index_elements: Counted<'a>,
    /// Attribute names per element path.
    attributes: BTreeMap<&'a str, Counted<'a>>,
    index_attributes: BTreeMap<&'a str, Counted<'a>>,
    /// Values per enumerated attribute.
    values: BTreeMap<&'a str, Seen<'a>>,
    combinations: Vec<(&'a Combination, &'a Tally)>,
}

impl<'a> TermsBySection<'a> {
    fn of(vocab: &'a Vocabulary) -> Self {
        let mut s = Self::default();
        for (term, t) in &vocab.terms {
            match term {
                Term::Element { path } => s.elements.push((path.as_str(), t.occurrences)),
                Term::IndexElement { path } => {
                    s.index_elements.push((path.as_str(), t.occurrences));
                }
                Term::Attribute { path, name } => s
                    .attributes
                    .entry(path)
                    .or_default()
                    .push((name, t.occurrences)),
                Term::IndexAttribute { path, name } => s
                    .index_attributes
                    .entry(path)
                    .or_default()
                    .push((name, t.occurrences)),
                Term::Value { attribute, value } => {
                    let slot = s.values.entry(attribute).or_default();
                    match value {
                        None => slot.0 = Some(t.occurrences),
                        Some(v) => slot.1.push((v, t.occurrences)),
                    }
                }
                Term::Combination(c) => s.combinations.push((c, t)),
            }
        }
        s
    }
}

/// `[vocabulary.attributes]` and `[vocabulary.index_attributes]`: one list
/// of attribute names per element path.
fn write_attribute_tables(
    out: &mut String,
    attributes: BTreeMap<&str, Counted<'_>>,
    index_attributes: BTreeMap<&str, Counted<'_>>,
) {
    for (table, map) in [
        ("attributes", attributes),
        ("index_attributes", index_attributes),
    ] {
        let _ = writeln!(out);
        let _ = writeln!(out, "[vocabulary.{table}]");
        for (path, names) in map {
            list(out, &q(path), names.into_iter(), "");
        }
    }
}

/// One `[vocabulary.values."ATTRIBUTE"]` table per enumerated attribute:
/// whether it may be absent, and the values seen.
fn write_value_tables(out: &mut String, values: BTreeMap<&str, Seen<'_>>) {
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
        list(out, "values", present.into_iter(), " updates");
    }
}

/// One `[[vocabulary.combinations]]` per kind-combination of an update;
/// its flags that were absent are left out.
fn write_combinations(out: &mut String, combinations: Vec<(&Combination, &Tally)>) {
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
}
