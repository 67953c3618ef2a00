//! The built-in profiles.

use std::fmt::Write as _;

use serde::Serialize;

use super::Format;
use crate::rules::profile::Profile;

/// The built-in profiles, for `wsuscat profiles`.
pub fn profiles(list: &[Profile], default: &str, format: Format) -> String {
    #[derive(Serialize)]
    struct Entry<'a> {
        name: &'a str,
        description: &'a str,
        default: bool,
        rules: &'a [crate::rules::profile::Rule],
    }
    let entries = || {
        list.iter().map(|p| Entry {
            name: &p.name,
            description: &p.description,
            default: p.name == default,
            rules: &p.rules,
        })
    };
    match format {
        Format::Json => super::json_document(&entries().collect::<Vec<_>>()),
        Format::Jsonl => entries()
            .map(|e| super::jsonl::event("profile", &e))
            .collect(),
        Format::Csv => {
            let mut csv = super::csv::Csv::new(&[
                "profile",
                "default",
                "rule",
                "severity",
                "attribute",
                "allow_absent",
                "allowed",
            ]);
            for p in list {
                for rule in &p.rules {
                    csv.record(&[
                        p.name.clone(),
                        (p.name == default).to_string(),
                        rule.name.clone(),
                        rule.severity.as_str().to_string(),
                        rule.attribute.clone(),
                        rule.allow_absent.to_string(),
                        // A JSON array: values may hold any character, so
                        // no separator would be unambiguous.
                        serde_json::to_string(&rule.allowed).expect("strings serialize"),
                    ]);
                }
            }
            csv.finish()
        }
        Format::Human => {
            let mut out = String::new();
            for p in list {
                let mark = if p.name == default { " (default)" } else { "" };
                let _ = writeln!(out, "{}{mark}\n    {}", p.name, p.description);
                for rule in &p.rules {
                    let mut allowed: Vec<String> =
                        rule.allowed.iter().map(|v| format!("{v:?}")).collect();
                    if rule.allow_absent {
                        allowed.insert(0, "(absent)".into());
                    }
                    let _ = writeln!(
                        out,
                        "    rule {} [{}]: {} may be {}",
                        rule.name,
                        rule.severity.as_str(),
                        rule.attribute,
                        allowed.join(", ")
                    );
                }
            }
            out
        }
    }
}
