//! Profiles: what a consumer of the catalog accepts, as data.
//!
//! A profile is a TOML file with a name, a description, the evidence behind
//! it, and rules. Keeping consumers' expectations in data rather than code
//! means an admin who learns what their importer rejects can say so without
//! a new release, and a reviewer can see the evidence next to the rule.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::update::Update;
use crate::error::{Error, ErrorKind, Result};
use crate::rules::vocab::{Combination, Term, UPDATE_ATTRIBUTES, UPDATE_PATH};

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
    /// The severity as profiles, reports and JSON write it: `warn` or
    /// `breaks`.
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
    /// The rule's name, as findings and reports show it
    /// (`deployment-action`).
    pub name: String,
    /// The attribute of `<Update>` the rule constrains, by name as written
    /// in package.xml (`DeploymentAction`).
    pub attribute: String,
    /// Whether the attribute may be missing. This does not allow the empty
    /// string: list `""` in `allowed` for that.
    #[serde(default)]
    pub allow_absent: bool,
    /// The values allowed when present, compared exactly (case-sensitive,
    /// after XML unescaping).
    #[serde(default)]
    pub allowed: Vec<String>,
    /// What a violation means for the verdict: `breaks` or `warn`.
    pub severity: Severity,
    /// Why a violation matters, for the report; without it findings say
    /// "`<attribute>` is not allowed by `<profile>`".
    #[serde(default)]
    pub message: Option<String>,
    /// Whether `attribute` is meant to be one no catalog is known to carry
    /// (a rule written ahead of a new attribute). Without it, a rule on an
    /// attribute outside [`UPDATE_ATTRIBUTES`] and every loaded baseline is
    /// refused, so that a typo cannot silently disable the rule.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub novel_attribute: bool,
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

/// What a profile describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileKind {
    /// What one consumer accepts, written by hand from evidence.
    #[default]
    Consumer,
    /// A catalog's vocabulary, learned by `wsuscat baseline`.
    Baseline,
}

/// The catalog a baseline was learned from: the `[source]` table. It
/// records provenance for the reader and is never checked against.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BaselineSource {
    /// The catalog's path as `wsuscat baseline` was given it.
    #[serde(default)]
    pub path: Option<String>,
    /// SHA-256 of the whole catalog file, lower-case hex.
    #[serde(default)]
    pub sha256: Option<String>,
    /// package.xml's root `PackageId` attribute; `None` when it had none.
    #[serde(default)]
    pub package_id: Option<String>,
    /// package.xml's root `CreationDate` attribute; `None` when it had none.
    #[serde(default)]
    pub creation_date: Option<String>,
    /// How many `<Update>` elements the catalog held.
    #[serde(default)]
    pub updates: Option<u64>,
}

/// A pattern over an update's kind-deciding attributes and children. A key
/// left out matches anything; a value given must match exactly (so a
/// pattern cannot ask for "absent": that is what the baseline's exact
/// combinations are for).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// The `IsBundle` attribute's exact value; `None` matches anything.
    #[serde(default)]
    pub is_bundle: Option<String>,
    /// The `IsLeaf` attribute's exact value; `None` matches anything.
    #[serde(default)]
    pub is_leaf: Option<String>,
    /// The `DeploymentAction` attribute's exact value; `None` matches
    /// anything.
    #[serde(default)]
    pub deployment_action: Option<String>,
    /// The `IsSoftware` attribute's exact value; `None` matches anything.
    #[serde(default)]
    pub is_software: Option<String>,
    /// Whether the update has a `<BundledBy>` child; `None` matches
    /// anything.
    #[serde(default)]
    pub bundled_by: Option<bool>,
    /// Whether the update has a `<PayloadFiles>` child; `None` matches
    /// anything.
    #[serde(default)]
    pub payload_files: Option<bool>,
}

impl Pattern {
    /// Whether `u` has every value and child the pattern gives.
    pub fn matches(&self, u: &Update) -> bool {
        let attr =
            |want: &Option<String>, name| want.as_deref().is_none_or(|w| u.get(name) == Some(w));
        attr(&self.is_bundle, "IsBundle")
            && attr(&self.is_leaf, "IsLeaf")
            && attr(&self.deployment_action, "DeploymentAction")
            && attr(&self.is_software, "IsSoftware")
            && self.bundled_by.is_none_or(|b| u.children.bundled_by == b)
            && self
                .payload_files
                .is_none_or(|p| u.children.payload_files == p)
    }
}

/// A combination an importer is known or feared to reject: an update
/// matching any of the patterns is a finding.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CombinationRule {
    /// The rule's name, as catalog findings show it (`nested-bundle`).
    pub name: String,
    /// The patterns; an update matching any one of them counts. Never
    /// empty (a profile with an empty list is refused).
    pub match_any: Vec<Pattern>,
    /// What a match means for the verdict: `breaks` or `warn`.
    pub severity: Severity,
    /// Why a match matters, for the report; without it the finding says
    /// "`<rule>` is not allowed by `<profile>`".
    #[serde(default)]
    pub message: Option<String>,
}

/// The values a baseline saw for one enumerated attribute.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ValueSet {
    /// Whether some update lacked the attribute.
    #[serde(default)]
    pub absent: bool,
    /// The values seen, exactly as written (after XML unescaping); sorted in
    /// the files `wsuscat baseline` writes.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A learned vocabulary: anything outside it is a novelty. A section left
/// out is not checked at all; a section present but empty means "nothing of
/// this kind was seen", so everything of that kind is new.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VocabularyRules {
    /// The severity of every novelty this vocabulary finds.
    pub severity: Severity,
    /// Element paths in package.xml: local names from the root, joined
    /// with `/` (`OfflineSyncPackage/Updates/Update`).
    #[serde(default)]
    pub elements: Option<Vec<String>>,
    /// Attribute names in package.xml, by the element path they are on
    /// (namespace declarations excluded).
    #[serde(default)]
    pub attributes: Option<BTreeMap<String, Vec<String>>>,
    /// Values by attribute (`Update@DeploymentAction`, `Category@Type`,
    /// `OfflineSyncPackage@ProtocolVersion` …).
    #[serde(default)]
    pub values: Option<BTreeMap<String, ValueSet>>,
    /// The kind-combinations of `<Update>` seen (`[[vocabulary.combinations]]`).
    #[serde(default)]
    pub combinations: Option<Vec<Combination>>,
    /// Element paths in index.xml (`INDEX/CABLIST/CAB`).
    #[serde(default)]
    pub index_elements: Option<Vec<String>>,
    /// Attribute names in index.xml, by element path.
    #[serde(default)]
    pub index_attributes: Option<BTreeMap<String, Vec<String>>>,
}

impl VocabularyRules {
    /// `Some(true)` when the term is known, `Some(false)` when it is new,
    /// `None` when its section is not checked.
    pub fn knows(&self, term: &Term) -> Option<bool> {
        let listed =
            |list: &Option<Vec<String>>, x: &str| list.as_ref().map(|l| l.iter().any(|v| v == x));
        let named = |map: &Option<BTreeMap<String, Vec<String>>>, path: &str, name: &str| {
            map.as_ref()
                .map(|m| m.get(path).is_some_and(|l| l.iter().any(|v| v == name)))
        };
        match term {
            Term::Element { path } => listed(&self.elements, path),
            Term::Attribute { path, name } => named(&self.attributes, path, name),
            Term::Value { attribute, value } => self.values.as_ref().map(|m| {
                m.get(attribute).is_some_and(|set| match value {
                    None => set.absent,
                    Some(v) => set.values.iter().any(|x| x == v),
                })
            }),
            Term::Combination(c) => self.combinations.as_ref().map(|l| l.contains(c)),
            Term::IndexElement { path } => listed(&self.index_elements, path),
            Term::IndexAttribute { path, name } => named(&self.index_attributes, path, name),
        }
    }

    /// Whether index.xml must be read to check this vocabulary.
    pub fn needs_index(&self) -> bool {
        self.index_elements.is_some() || self.index_attributes.is_some()
    }
}

/// A named set of rules with its evidence.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Whether it was written by hand for a consumer or learned by
    /// `wsuscat baseline`; `consumer` when the file does not say.
    #[serde(default)]
    pub kind: ProfileKind,
    /// The profile's name, as findings, reports and `wsuscat profiles` show
    /// it (a built-in one is also what `--profile` takes).
    pub name: String,
    /// One line saying what consumer it describes, for reports and
    /// `wsuscat profiles`.
    pub description: String,
    /// Why the rules are what they are (advisories, logs, protocol
    /// documents), for a reviewer; empty when the file gives none.
    #[serde(default)]
    pub evidence: String,
    /// For a baseline, the catalog it was learned from (`[source]`).
    #[serde(default)]
    pub source: Option<BaselineSource>,
    /// The `[[rule]]` tables: per-update checks of one attribute's value.
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
    /// The `[[combination_rule]]` tables: update patterns that make
    /// catalog-level findings.
    #[serde(rename = "combination_rule", default)]
    pub combination_rules: Vec<CombinationRule>,
    /// The `[vocabulary]` table: a learned vocabulary, anything outside
    /// which is a novelty. `None` when the profile has none; a baseline
    /// always has one.
    #[serde(default)]
    pub vocabulary: Option<VocabularyRules>,
}

/// The built-in profiles' TOML, embedded at build time.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "configmgr2007-legacy",
        include_str!("profiles/configmgr2007-legacy.toml"),
    ),
    ("wua", include_str!("profiles/wua.toml")),
];

/// A TOML error on one line: `line L, column C: message`. The toml
/// crate's own Display spans several lines (a snippet with a caret); an
/// error here is one line, its place the profile's file.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = crate::error::one_line(e.message()).into_owned();
    let Some(span) = e.span() else {
        return message;
    };
    let before = text.get(..span.start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}: {message}")
}

/// The profile `check` uses when none is named.
pub const DEFAULT_PROFILE: &str = "configmgr2007-legacy";

impl Profile {
    /// Parses a profile from TOML text; `origin` names it in errors, as
    /// their file (the profile's path, or a built-in profile's name).
    pub fn from_toml(text: &str, origin: &str) -> Result<Profile> {
        Profile::parse(text).map_err(|e| e.with_file(origin))
    }

    fn parse(text: &str) -> Result<Profile> {
        let profile: Profile = toml::from_str(text)
            .map_err(|e| Error::new(ErrorKind::Profile, toml_error(text, &e)).with_source(e))?;
        if profile.rules.is_empty()
            && profile.combination_rules.is_empty()
            && profile.vocabulary.is_none()
        {
            return Err(Error::new(
                ErrorKind::Profile,
                "the profile has no rules: it could never find anything".to_string(),
            ));
        }
        if profile.kind == ProfileKind::Baseline && profile.vocabulary.is_none() {
            return Err(Error::new(
                ErrorKind::Profile,
                "the profile is a baseline without a [vocabulary]".to_string(),
            ));
        }
        for rule in &profile.combination_rules {
            if rule.match_any.is_empty() {
                return Err(Error::new(
                    ErrorKind::Profile,
                    format!("combination rule {} has no pattern", rule.name),
                ));
            }
        }
        for rule in &profile.rules {
            if !rule.allow_absent && rule.allowed.is_empty() {
                return Err(Error::new(
                    ErrorKind::Profile,
                    format!("rule {} allows nothing at all", rule.name),
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
            Error::new(ErrorKind::Io, format!("cannot read the profile: {e}"))
                .with_source(e)
                .with_file(path)
        })?;
        Profile::from_toml(&text, &path.display().to_string())
    }

    /// Loads profiles by name or path ([`Profile::load`]) and checks them
    /// together ([`check_rule_attributes`]), so that a rule may name an
    /// attribute that one of the loaded baselines has seen.
    pub fn load_all<S: AsRef<str>>(names_or_paths: &[S]) -> Result<Vec<Profile>> {
        let profiles = names_or_paths
            .iter()
            .map(|n| Profile::load(n.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        check_rule_attributes(&profiles)?;
        Ok(profiles)
    }

    /// The profiles a check judges with: the ones `profiles` names (built-in
    /// names or files), or [`DEFAULT_PROFILE`] when it names none, and then
    /// every baseline in `baselines`. Baselines add; they never replace the
    /// default, so a baseline (of severity `warn`, say) can never let
    /// through what the consumer's profile breaks. A file in `baselines`
    /// must be a baseline (`kind = "baseline"`). Checked together as
    /// [`Profile::load_all`] does.
    pub fn judges<S: AsRef<str>, P: AsRef<Path>>(
        profiles: &[S],
        baselines: &[P],
    ) -> Result<Vec<Profile>> {
        let mut loaded = if profiles.is_empty() {
            vec![Profile::load(DEFAULT_PROFILE)?]
        } else {
            profiles
                .iter()
                .map(|n| Profile::load(n.as_ref()))
                .collect::<Result<Vec<_>>>()?
        };
        for path in baselines {
            let path = path.as_ref();
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::new(ErrorKind::Io, format!("cannot read the baseline: {e}"))
                    .with_source(e)
                    .with_file(path)
            })?;
            let origin = path.display().to_string();
            let baseline = Profile::from_toml(&text, &origin)?;
            if baseline.kind != ProfileKind::Baseline {
                return Err(Error::new(
                    ErrorKind::Profile,
                    "not a baseline (no kind = \"baseline\"): it is a consumer profile; name it as a profile, not a baseline",
                )
                .with_file(path));
            }
            loaded.push(baseline);
        }
        check_rule_attributes(&loaded)?;
        Ok(loaded)
    }

    /// The attribute names of `<Update>` this profile's vocabulary lists
    /// (empty unless it is a baseline with attributes).
    fn update_attributes(&self) -> impl Iterator<Item = &str> {
        self.vocabulary
            .iter()
            .filter_map(|v| v.attributes.as_ref())
            .filter_map(|m| m.get(UPDATE_PATH))
            .flatten()
            .map(String::as_str)
    }

    /// The indices (into `rules`) of the rules `update` violates, in the
    /// profile's order. Indices rather than references, so that a caller can
    /// keep them from the moment it tests an update to the moment it records
    /// the findings, without testing the rules twice.
    pub fn violated_rules<'a>(&'a self, update: &'a Update) -> impl Iterator<Item = usize> + 'a {
        self.rules
            .iter()
            .enumerate()
            .filter(move |(_, rule)| !rule.allows(update.get(&rule.attribute)))
            .map(|(i, _)| i)
    }
}

/// Refuses a rule (of any of `profiles`) on an `<Update>` attribute that is
/// neither in the built-in vocabulary ([`UPDATE_ATTRIBUTES`]) nor in a
/// baseline among `profiles`, unless the rule says `novel_attribute = true`.
/// A misspelt attribute is never present, so a rule that allows absence
/// would otherwise pass every catalog without a word.
pub fn check_rule_attributes(profiles: &[Profile]) -> Result<()> {
    let known = |name: &str| {
        UPDATE_ATTRIBUTES.contains(&name)
            || profiles
                .iter()
                .any(|p| p.update_attributes().any(|a| a == name))
    };
    for profile in profiles {
        for rule in profile.rules.iter().filter(|r| !r.novel_attribute) {
            if known(&rule.attribute) {
                continue;
            }
            let hint = UPDATE_ATTRIBUTES
                .iter()
                .copied()
                .chain(profiles.iter().flat_map(|p| p.update_attributes()))
                .map(|a| (edit_distance(a, &rule.attribute), a))
                .filter(|(d, _)| *d <= 2)
                .min()
                .map(|(_, a)| format!(" (did you mean {a:?}?)"))
                .unwrap_or_default();
            return Err(Error::new(
                ErrorKind::Profile,
                format!(
                    "rule {} in profile {} is on attribute {:?}, which no catalog is known to carry{hint}: \
                     known are {} and the attributes of a loaded baseline; \
                     if the rule is meant for a new attribute, say novel_attribute = true",
                    rule.name,
                    profile.name,
                    rule.attribute,
                    UPDATE_ATTRIBUTES.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Levenshtein distance over chars, case-insensitively (a wrong letter case
/// is a typo too).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().flat_map(char::to_lowercase).enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
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

    #[test]
    fn a_rule_on_an_unknown_attribute_is_refused_unless_marked_or_baselined() {
        let rule = |extra: &str| {
            Profile::from_toml(&format!("name='p'\ndescription='d'\n[[rule]]\nname='r'\nattribute='DeploymentActon'\nallow_absent=true\nseverity='breaks'\n{extra}"), "t").unwrap()
        };
        let e = check_rule_attributes(&[rule("")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Profile);
        assert!(
            e.message().contains("did you mean \"DeploymentAction\""),
            "{e}"
        );
        check_rule_attributes(&[rule("novel_attribute=true")]).unwrap();
        let baseline = Profile::from_toml(
            "kind='baseline'\nname='b'\ndescription='d'\n[vocabulary]\nseverity='warn'\n[vocabulary.attributes]\n'OfflineSyncPackage/Updates/Update'=['DeploymentActon']\n",
            "t",
        )
        .unwrap();
        check_rule_attributes(&[rule(""), baseline]).unwrap();
        for p in Profile::built_in() {
            check_rule_attributes(&[p]).unwrap();
        }
        assert_eq!(edit_distance("DeploymentAction", "deploymentacton"), 1);
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn combination_rules_and_baselines_parse_and_are_validated() {
        let p = Profile::load("configmgr2007-legacy").unwrap();
        let rule = &p.combination_rules[0];
        let mut u = Update::default();
        u.push_attribute("IsBundle", "true");
        assert!(!rule.match_any.iter().any(|m| m.matches(&u)));
        u.children.bundled_by = true;
        assert!(rule.match_any.iter().any(|m| m.matches(&u)));

        let e = Profile::from_toml("kind='baseline'\nname='b'\ndescription='d'\n[[rule]]\nname='r'\nattribute='A'\nallow_absent=true\nseverity='warn'\n", "t").unwrap_err();
        assert!(e.message().contains("without a [vocabulary]"), "{e}");
        let b = Profile::from_toml(
            "kind='baseline'\nname='b'\ndescription='d'\n[vocabulary]\nseverity='warn'\nelements=['R']\n[vocabulary.values.'Update@IsLeaf']\nvalues=['true']\n",
            "t",
        )
        .unwrap();
        let v = b.vocabulary.unwrap();
        let el = |p: &str| Term::Element { path: p.into() };
        assert_eq!(v.knows(&el("R")), Some(true));
        assert_eq!(v.knows(&el("R/X")), Some(false));
        let leaf = |x: Option<&str>| Term::Value {
            attribute: "Update@IsLeaf".into(),
            value: x.map(str::to_string),
        };
        assert_eq!(v.knows(&leaf(Some("true"))), Some(true));
        assert_eq!(v.knows(&leaf(None)), Some(false), "absent was not seen");
        // A section left out is not checked.
        assert_eq!(
            v.knows(&Term::IndexElement {
                path: "INDEX".into()
            }),
            None
        );
    }
}
