//! The built-in profiles.

use std::fmt::Write as _;

use serde::Serialize;

use super::Format;
use crate::profile::Profile;

/// The built-in profiles, for `wsuscat profiles`.
pub fn profiles(list: &[Profile], default: &str, format: Format) -> String {
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Entry<'a> {
                name: &'a str,
                description: &'a str,
                default: bool,
                rules: &'a [crate::profile::Rule],
            }
            let entries: Vec<Entry> = list
                .iter()
                .map(|p| Entry {
                    name: &p.name,
                    description: &p.description,
                    default: p.name == default,
                    rules: &p.rules,
                })
                .collect();
            super::json_document(&entries)
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
