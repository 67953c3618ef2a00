//! Profiles: what a consumer of the catalog accepts, as data.
//!
//! A profile is a TOML file with a name, a description, the evidence behind
//! it, and rules. Keeping consumers' expectations in data rather than code
//! means an admin who learns what their importer rejects can say so without
//! a new release, and a reviewer can see the evidence next to the rule.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::update::Update;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported; does not change the verdict.
    Warn,
    /// The consumer fails on it: the verdict is "incompatible".
    Breaks,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Breaks => "breaks",
        }
    }
}

/// One rule: the values an `<Update>` attribute may take. Values compare
/// exactly (case-sensitive), as the consumer compares them; "absent" is its
/// own case, distinct from the empty string.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// The attribute of `<Update>` the rule constrains.
    pub attribute: String,
    /// Whether the attribute may be missing.
    #[serde(default)]
    pub allow_absent: bool,
    /// The values allowed when present.
    #[serde(default)]
    pub allowed: Vec<String>,
    pub severity: Severity,
    /// Why a violation matters, for the report.
    #[serde(default)]
    pub message: Option<String>,
}

impl Rule {
    /// Whether `value` (None = absent) satisfies the rule.
    pub fn allows(&self, value: Option<&str>) -> bool {
        match value {
            None => self.allow_absent,
            Some(v) => self.allowed.iter().any(|a| a == v),
        }
    }
}

/// A named set of rules with its evidence.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub evidence: String,
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
}

/// The built-in profiles' TOML, embedded at build time.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "configmgr2007-legacy",
        include_str!("profiles/configmgr2007-legacy.toml"),
    ),
    ("wua", include_str!("profiles/wua.toml")),
];

/// The profile `check` uses when none is named.
pub const DEFAULT_PROFILE: &str = "configmgr2007-legacy";

impl Profile {
    /// Parses a profile from TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Profile> {
        let profile: Profile = toml::from_str(text)
            .map_err(|e| Error::new(ErrorKind::Profile, format!("profile {origin}: {e}")))?;
        if profile.rules.is_empty() {
            return Err(Error::new(
                ErrorKind::Profile,
                format!("profile {origin} has no rules: it could never find anything"),
            ));
        }
        for rule in &profile.rules {
            if !rule.allow_absent && rule.allowed.is_empty() {
                return Err(Error::new(
                    ErrorKind::Profile,
                    format!(
                        "rule {} in profile {origin} allows nothing at all",
                        rule.name
                    ),
                ));
            }
        }
        Ok(profile)
    }

    /// The built-in profiles, in a stable order.
    pub fn built_in() -> Vec<Profile> {
        BUILT_IN
            .iter()
            .map(|(name, text)| {
                Profile::from_toml(text, name).expect("built-in profiles are valid")
            })
            .collect()
    }

    /// A built-in profile by name, or a profile file by path. A name wins
    /// over a file of the same name in the working directory only when it
    /// has no path separator and no `.toml` extension.
    pub fn load(name_or_path: &str) -> Result<Profile> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Profile::from_toml(text, name_or_path);
        }
        let path = Path::new(name_or_path);
        if !path.exists() && !name_or_path.contains(['/', '\\']) && !name_or_path.ends_with(".toml")
        {
            let known: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "no built-in profile {name_or_path:?} (built-in: {}), and no such file",
                    known.join(", ")
                ),
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read profile {}: {e}", path.display()),
            )
        })?;
        Profile::from_toml(&text, &path.display().to_string())
    }

    /// The rules `update` violates.
    pub fn violations<'a>(
        &'a self,
        update: &'a Update,
    ) -> impl Iterator<Item = (&'a Rule, Option<&'a str>)> + 'a {
        self.rules.iter().filter_map(move |rule| {
            let value = update.get(&rule.attribute);
            (!rule.allows(value)).then_some((rule, value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_profile_accepts_exactly_the_documented_set() {
        let p = Profile::load("configmgr2007-legacy").unwrap();
        let rule = &p.rules[0];
        for ok in [None, Some("Install"), Some("Bundle"), Some("Evaluate")] {
            assert!(rule.allows(ok), "{ok:?}");
        }
        for bad in [
            "",
            "bundle",
            "PreDeploymentCheck",
            "OptionalInstall",
            "Block",
            "Uninstall",
            " Install",
        ] {
            assert!(!rule.allows(Some(bad)), "{bad:?}");
        }
    }

    #[test]
    fn wua_profile_accepts_the_protocol_set() {
        let p = Profile::load("wua").unwrap();
        for ok in [
            "OptionalInstall",
            "Install",
            "Uninstall",
            "PreDeploymentCheck",
            "Block",
            "Evaluate",
            "Bundle",
        ] {
            assert!(p.rules[0].allows(Some(ok)));
        }
        assert!(!p.rules[0].allows(Some("Detect")));
    }

    #[test]
    fn unknown_fields_and_empty_rules_are_profile_errors() {
        let e = Profile::from_toml("name='x'\ndescription='y'\nbogus=1\n", "t").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Profile);
        let e = Profile::from_toml("name='x'\ndescription='y'\n", "t").unwrap_err();
        assert!(e.message().contains("no rules"));
        let e = Profile::load("no-such-profile").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
    }
}
