//! `check`: read the whole catalog and test every update against profiles.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde::Serialize;

use crate::catalog::names::{self, Names, Subject};
use crate::catalog::package::scan::{scan, Progress, ScanOptions, Scanned, Visitor};
use crate::catalog::package::RootInfo;
use crate::catalog::update::{Kind, RefKind, Update};
use crate::catalog::CatalogIdentity;
use crate::catalog::{Catalog, OuterResume};
use crate::error::{Error, ErrorKind, Result};
use crate::rules::constraints::{self, Constraints};
use crate::rules::finding::{CatalogFinding, Finding, UpdateRef, Verdict};
use crate::rules::profile::{check_rule_attributes, Profile, Severity};
use crate::rules::vocab::{Collector, Tally, Vocabulary};
use crate::trust::integrity::{self, ReadPassSummary, SignatureStatus, TrustOptions};

/// What `check` leaves to `verify`, in the one sentence its reports and
/// docs/exit-codes.md give.
pub const LEFT_TO_VERIFY: &str = "check decoded the outer cabinet only as far as index.xml and package.cab and checked every other outer block by its header and checksum, without decoding the rest of the outer folders or any shard's blocks: `wsuscat verify` decodes them all.";

/// What `check` read of the catalog beyond package.xml: the walk of every
/// outer block on the hashing pass, and what is left to `verify`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ReadPass {
    /// Folders of the outer cabinet whose block chain was walked: all.
    pub outer_folders: usize,
    /// Their CFDATA blocks: every header parsed, every nonzero checksum
    /// compared with the block's bytes.
    pub outer_blocks: u64,
    /// Of those, blocks whose stored checksum is 0 ("not computed" in
    /// MS-CAB): checked by their headers only.
    pub blocks_not_checksummed: u64,
    /// [`LEFT_TO_VERIFY`]: what check did not decode.
    pub left_to_verify: String,
}

impl ReadPass {
    fn of(s: &ReadPassSummary) -> ReadPass {
        ReadPass {
            outer_folders: s.outer_folders,
            outer_blocks: s.outer_blocks,
            blocks_not_checksummed: s.blocks_not_checksummed,
            left_to_verify: LEFT_TO_VERIFY.to_string(),
        }
    }
}

/// The profile name catalog findings about the catalog's own structure
/// carry (an unlisted member), since no profile asked for them.
pub const CATALOG_PROFILE: &str = "catalog";

/// A warning per member of the outer cabinet that index.xml does not name
/// and that is neither index.xml nor package.cab: a new kind of file in a
/// genuine catalog must not halt a gated sync, but it is worth a look.
fn unlisted_member_findings(members: &[String]) -> Vec<CatalogFinding> {
    members
        .iter()
        .map(|name| CatalogFinding {
            rule: "unlisted-member".to_string(),
            profile: CATALOG_PROFILE.to_string(),
            severity: Severity::Warn,
            subject: format!("member {name}"),
            term: None,
            updates: 0,
            occurrences: 1,
            first: Vec::new(),
            message: "the outer cabinet holds a member that is neither index.xml, package.cab nor a shard index.xml names; check did not read it".to_string(),
        })
        .collect()
}

/// A profile as the report names it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProfileRef {
    /// The profile's name, as findings carry it (`configmgr2007-legacy`).
    pub name: String,
    /// The profile's one line on what consumer it describes.
    pub description: String,
}

/// Updates counted by kind.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Every `<Update>` in package.xml: the sum of `by_kind`.
    pub updates_checked: u64,
    /// Updates per kind, every kind present (0 when there are none).
    pub by_kind: BTreeMap<Kind, u64>,
}

/// Everything `check` established.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckReport {
    /// The catalog's path, size, SHA-256 and root attributes.
    pub catalog: CatalogIdentity,
    /// What the signature check established: verified, unsigned (when
    /// allowed) or not checked.
    pub signature: SignatureStatus,
    /// The profiles checked against, in the order given.
    pub profiles: Vec<ProfileRef>,
    /// What the hashing pass checked of every outer block, and what check
    /// leaves to `verify`.
    pub read_pass: ReadPass,
    /// How many updates were checked, by kind.
    pub counts: Counts,
    /// One per rule an update breaks, sorted by RevisionId, then UpdateId,
    /// profile and rule, whatever the thread count.
    pub findings: Vec<Finding>,
    /// Findings about the catalog as a whole: novelties against a baseline,
    /// combination rules, `--wua-version`, `--max-age`. Sorted by profile,
    /// rule and subject.
    pub catalog_findings: Vec<CatalogFinding>,
    /// `incompatible` when any finding, per-update or catalog-level, has
    /// severity `breaks`.
    pub verdict: Verdict,
    /// What the catalog uses, when it was collected (for `baseline`, or to
    /// compare with a baseline).
    #[serde(skip)]
    pub vocabulary: Option<Vocabulary>,
}

impl CheckReport {
    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
            + self
                .catalog_findings
                .iter()
                .filter(|f| f.severity == severity)
                .count()
    }

    /// Breaking findings, per-update and catalog-level together.
    pub fn breaking(&self) -> usize {
        self.count(Severity::Breaks)
    }

    /// Findings of severity `warn`, per-update and catalog-level together.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warn)
    }

    /// Every finding, per-update and catalog-level together: what every
    /// format's summary calls `findings`, so that it is always
    /// [`breaking`](Self::breaking) plus [`warnings`](Self::warnings).
    pub fn total_findings(&self) -> usize {
        self.findings.len() + self.catalog_findings.len()
    }

    /// The names of the profiles the catalog was judged against, in the
    /// order given.
    pub fn profile_names(&self) -> Vec<&str> {
        self.profiles.iter().map(|p| p.name.as_str()).collect()
    }

    /// Per-update findings of severity `breaks`.
    pub fn breaking_updates(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Breaks)
            .count()
    }

    fn settle(&mut self) {
        self.catalog_findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.verdict = if self.breaking() > 0 {
            Verdict::Incompatible
        } else {
            Verdict::Compatible
        };
    }
}

/// How to run a check.
pub struct CheckOptions<'a> {
    /// The profiles every update is checked against; with none, nothing
    /// can break (as when only learning a baseline).
    pub profiles: Vec<Profile>,
    /// What the signature must prove (default: a valid Microsoft signature).
    pub trust: TrustOptions,
    /// How to stream package.xml (threads, batch size, limits); its thread
    /// count also reads the shards, and above 1 lets the signature be
    /// verified alongside the scan.
    pub scan: ScanOptions,
    /// Told the package.xml size, then the position as it streams.
    pub progress: Option<&'a dyn CheckProgress>,
    /// Name each finding's update (title, KB, products…) from the shards.
    pub names: bool,
    /// Preferred language for titles (falling back to each update's
    /// DefaultLanguage).
    pub lang: String,
    /// What the catalog is held to beyond its profiles (`--wua-version`,
    /// `--max-age`).
    pub constraints: Constraints,
    /// Collect the catalog's vocabulary into the report (for `baseline`).
    pub learn: bool,
}

impl Default for CheckOptions<'_> {
    /// No profile (a caller adds the ones to check against), Microsoft's
    /// signature required, all cores, findings named in English, no
    /// constraints, no vocabulary collected.
    fn default() -> Self {
        CheckOptions {
            profiles: Vec::new(),
            trust: TrustOptions::default(),
            scan: ScanOptions::default(),
            progress: None,
            names: true,
            lang: "en".to_string(),
            constraints: Constraints::default(),
            learn: false,
        }
    }
}

/// Progress over package.xml's bytes.
pub trait CheckProgress: Progress {
    /// Called once before package.xml is streamed, with its decompressed
    /// size in bytes.
    fn start(&self, total: u64);
    /// Called once the stream has ended, whether or not it failed.
    fn finish(&self);
}

/// The most `check` holds of what it found while package.xml streams (the
/// findings, what naming their updates needs, the categories' ids), in
/// bytes, counted by every batch's checker together.
///
/// Why this number: a profile that flags every update of today's catalog
/// (136k updates) holds about 144 MB here. A catalog that claims ten million updates, each flagged,
/// would need gigabytes; at this bound the scan stops with a limit error
/// (exit code 3) instead.
pub const MAX_FOUND_BYTES: usize = 160 << 20;

/// What the batches' checkers share: the bytes of [`MAX_FOUND_BYTES`] and
/// the vocabulary's terms of [`crate::rules::vocab::MAX_TERMS`].
#[derive(Default)]
struct Budget {
    found: AtomicUsize,
    terms: Arc<AtomicUsize>,
}

/// Text that nearly every subject repeats (`en`, `Product`,
/// `UpdateClassification`) borrowed from a static copy; anything else owned.
/// A profile that flags every update keeps a subject for each, and an
/// allocation per repeated word added megabytes.
fn common_text(s: &str) -> Cow<'static, str> {
    const COMMON: [&str; 3] = ["en", "Product", "UpdateClassification"];
    match COMMON.iter().find(|c| **c == s) {
        Some(c) => Cow::Borrowed(c),
        None => Cow::Owned(s.to_string()),
    }
}

/// About what one owned string costs: its header, allocator rounding and
/// text.
fn string_cost(s: &str) -> usize {
    40 + s.len()
}

struct Checker<'a> {
    profiles: &'a [Profile],
    budget: Arc<Budget>,
    /// Set once the budget's bytes passed [`MAX_FOUND_BYTES`].
    full: bool,
    /// Per profile, per rule: its attribute, name, profile name and
    /// message, shared by all its findings.
    rule_text: Vec<Vec<[Arc<str>; 4]>>,
    counts: [u64; 4],
    findings: Vec<Finding>,
    /// What naming each update with a finding needs.
    subjects: Vec<Subject<'static>>,
    /// Category UpdateIds (lowercase) and RevisionIds, to name products.
    categories: Vec<(String, u64)>,
    /// Per profile, per combination rule.
    combinations: Vec<Vec<Tally>>,
    vocabulary: Option<Collector>,
    /// The rules the update being read breaks, as (profile, rule) indices.
    /// Rules are about `<Update>` attributes, so they are tested once, on
    /// the start tag: [`Visitor::wants_refs`] needs to know whether any is
    /// broken, and [`Visitor::update`] records the findings.
    violations: Vec<(usize, usize)>,
    /// Whether `violations` is the update's being read, so that `update`
    /// does not depend on `wants_refs` having been asked.
    violations_found: bool,
}

impl<'a> Checker<'a> {
    fn new(profiles: &'a [Profile], collect: bool, budget: &Arc<Budget>) -> Checker<'a> {
        Checker {
            profiles,
            budget: Arc::clone(budget),
            full: false,
            rule_text: profiles
                .iter()
                .map(|p| {
                    p.rules
                        .iter()
                        .map(|r| {
                            let message = r.message.clone().unwrap_or_else(|| {
                                format!("{} is not allowed by {}", r.attribute, p.name)
                            });
                            [
                                r.attribute.as_str().into(),
                                r.name.as_str().into(),
                                p.name.as_str().into(),
                                message.into(),
                            ]
                        })
                        .collect()
                })
                .collect(),
            counts: [0; 4],
            findings: Vec::new(),
            subjects: Vec::new(),
            categories: Vec::new(),
            combinations: no_tallies(profiles),
            vocabulary: collect.then(|| Collector::sharing(&budget.terms)),
            violations: Vec::new(),
            violations_found: false,
        }
    }

    /// Tests `u` against every profile's rules, into `violations`.
    fn find_violations(&mut self, u: &Update) {
        self.violations.clear();
        for (p, profile) in self.profiles.iter().enumerate() {
            self.violations
                .extend(profile.violated_rules(u).map(|r| (p, r)));
        }
        self.violations_found = true;
    }

    fn tally_combinations(&mut self, u: &Update) {
        for (profile, tallies) in self.profiles.iter().zip(&mut self.combinations) {
            for (rule, tally) in profile.combination_rules.iter().zip(tallies) {
                if rule.match_any.iter().any(|p| p.matches(u)) {
                    tally.occurrences += 1;
                    tally.updates += 1;
                    if tally.first.len() < crate::rules::vocab::FIRST {
                        tally.first.push(u.revision_id().unwrap_or_default());
                    }
                }
            }
        }
    }

    /// A finding per rule `u` breaks, and what naming `u` needs.
    fn record_findings(&mut self, u: &Update, kind: Kind) {
        if !std::mem::take(&mut self.violations_found) {
            self.find_violations(u);
        }
        if self.violations.is_empty() {
            return;
        }
        let before = self.findings.len();
        for &(p, r) in &self.violations {
            let rule = &self.profiles[p].rules[r];
            let text = &self.rule_text[p][r];
            self.findings.push(Finding {
                revision_id: u.revision_id().unwrap_or_default(),
                update_id: u.get("UpdateId").map(str::to_string),
                revision_number: u.get("RevisionNumber").and_then(|v| v.parse().ok()),
                kind,
                attribute: Arc::clone(&text[0]),
                value: u.get(&rule.attribute).map(str::to_string),
                rule: Arc::clone(&text[1]),
                profile: Arc::clone(&text[2]),
                severity: rule.severity,
                message: Arc::clone(&text[3]),
                offset: u.offset,
                names: Names::default(),
            });
        }
        self.subjects.push(Subject {
            revision_id: u.revision_id().unwrap_or_default(),
            default_language: u.get("DefaultLanguage").map(common_text),
            // Only the categories a report names: a flag-everything
            // profile keeps a subject for every update.
            categories: u
                .categories()
                .filter(|(t, _)| names::is_named_category(t))
                .map(|(t, id)| (common_text(t), id.to_string().into()))
                .collect(),
            bundled_by: u
                .refs(RefKind::BundledBy)
                .find_map(|r| r.trim().parse().ok()),
        });
        let mut cost = std::mem::size_of::<Subject<'static>>();
        if let Some(subject) = self.subjects.last() {
            cost += subject.categories.len() * 2 * string_cost("");
            cost += subject
                .categories
                .iter()
                .map(|(t, id)| t.len() + id.len())
                .sum::<usize>();
        }
        for f in &self.findings[before..] {
            cost += std::mem::size_of::<Finding>()
                + f.update_id.as_deref().map_or(0, string_cost)
                + f.value.as_deref().map_or(0, string_cost);
        }
        self.spend(cost);
    }

    /// Counts `bytes` more against [`MAX_FOUND_BYTES`].
    fn spend(&mut self, bytes: usize) {
        if self.budget.found.fetch_add(bytes, Ordering::Relaxed) + bytes > MAX_FOUND_BYTES {
            self.full = true;
        }
    }
}

impl Visitor for Checker<'_> {
    /// References are read only where they are used: for the vocabulary,
    /// and to name the updates with findings (whose rules are about
    /// attributes, so they are known from the start tag).
    fn wants_refs(&mut self, u: &Update) -> bool {
        self.find_violations(u);
        self.vocabulary.is_some() || !self.violations.is_empty()
    }

    fn wants_elements(&self) -> bool {
        self.vocabulary.is_some()
    }

    fn batch_done(&mut self) {
        self.findings.shrink_to_fit();
        self.subjects.shrink_to_fit();
        self.categories.shrink_to_fit();
    }

    fn refusal(&mut self) -> Option<Error> {
        if self.full {
            return Some(Error::new(
                ErrorKind::Limit,
                format!(
                    "package.xml: what check found reached its bound of {} MiB \
                     (MAX_FOUND_BYTES); a profile that flags every update of a 136k-update \
                     catalog needs about 144 MB",
                    MAX_FOUND_BYTES >> 20
                ),
            ));
        }
        self.vocabulary.as_ref().and_then(Collector::refusal)
    }

    fn element(&mut self, element: &crate::catalog::package::parse::Element<'_>) {
        if let Some(c) = &mut self.vocabulary {
            c.element(element);
        }
    }

    fn update(&mut self, u: &Update) {
        let kind = u.kind();
        self.counts[kind as usize] += 1;
        if let Some(c) = &mut self.vocabulary {
            c.update(u);
        }
        self.tally_combinations(u);
        if kind == Kind::Category {
            if let (Some(id), Some(rev)) = (u.get("UpdateId"), u.revision_id()) {
                self.categories.push((id.to_ascii_lowercase(), rev));
                self.spend(string_cost(id) + 8);
            }
        }
        self.record_findings(u, kind);
    }
}

/// Checks the catalog at `path`: preflight, signature, then every update.
///
/// The signature is verified on the same read pass that hashes the file, in
/// parallel with the scan when there are threads to spare; a signature
/// failure outranks anything the scan found, because then the content is not
/// the publisher's to begin with.
///
/// Profiles whose rules name an attribute no catalog is known to carry are
/// refused before anything is read ([`check_rule_attributes`]).
pub fn check(path: &Path, options: &CheckOptions<'_>) -> Result<CheckReport> {
    check_rule_attributes(&options.profiles)?;
    let parallel = options.scan.threads > 1;
    let (identity, mut report) = integrity::with_identity(path, &options.trust, parallel, |pre| {
        check_content(path, options, pre.file_len)
    })?;
    report.catalog.sha256 = identity.sha256;
    report.catalog.signed_digest = identity.signed_digest;
    let signing_time = match &identity.signature {
        SignatureStatus::Verified(s) => s.signing_time.clone(),
        _ => None,
    };
    report.signature = identity.signature;
    report.read_pass = ReadPass::of(&identity.read_pass);
    report.catalog_findings.extend(unlisted_member_findings(
        &identity.read_pass.unlisted_members,
    ));
    report.catalog_findings.extend(constraints::findings(
        &options.constraints,
        report.catalog.minimum_client_version.as_deref(),
        report.catalog.creation_date.as_deref(),
        signing_time.as_deref(),
    ));
    report.settle();
    Ok(report)
}

/// One empty tally per combination rule of each profile.
fn no_tallies(profiles: &[Profile]) -> Vec<Vec<Tally>> {
    profiles
        .iter()
        .map(|p| vec![Tally::default(); p.combination_rules.len()])
        .collect()
}

/// Everything but the file's identity, which the caller fills in.
fn check_content(path: &Path, options: &CheckOptions<'_>, size: u64) -> Result<CheckReport> {
    let catalog = Catalog::open(path)?;
    let profiles = &options.profiles[..];
    let collect = options.learn || profiles.iter().any(|p| p.vocabulary.is_some());
    let (scanned, resume) = scan_updates(&catalog, path, options, collect)?;
    let root = scanned.document.root;
    let updates = scanned.document.updates;
    let mut merged = Merged::of(scanned.visitors, profiles, collect);
    let mut catalog_findings = combination_findings(profiles, &merged.combinations);
    if let Some(v) = &mut merged.vocabulary {
        complete_vocabulary(v, &catalog, path, &root, options)?;
        catalog_findings.extend(novelty_findings(profiles, v));
    }
    if options.names {
        name_findings(
            &catalog,
            options,
            resume,
            &mut merged,
            &mut catalog_findings,
        )?;
    }
    let Merged {
        mut counts,
        mut findings,
        vocabulary,
        ..
    } = merged;
    counts.updates_checked = counts.by_kind.values().sum();
    debug_assert_eq!(counts.updates_checked, updates);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(CheckReport {
        catalog: CatalogIdentity::new(path, size, &root),
        profiles: profiles
            .iter()
            .map(|p| ProfileRef {
                name: p.name.clone(),
                description: p.description.clone(),
            })
            .collect(),
        signature: SignatureStatus::NotChecked,
        read_pass: ReadPass::default(),
        counts,
        findings,
        catalog_findings,
        verdict: Verdict::Compatible,
        vocabulary,
    })
}

/// Streams package.xml through the checkers, telling the progress.
fn scan_updates<'a>(
    catalog: &Catalog,
    path: &Path,
    options: &'a CheckOptions<'_>,
    collect: bool,
) -> Result<(Scanned<Checker<'a>>, OuterResume)> {
    let mut xml = catalog.stream_package_xml()?;
    if let Some(p) = options.progress {
        p.start(u64::from(xml.file().size));
    }
    let budget = Arc::new(Budget::default());
    let new_checker = || Checker::new(&options.profiles, collect, &budget);
    let progress = options.progress.map(|p| p as &dyn Progress);
    let scanned = scan(&mut xml, &options.scan, &new_checker, progress);
    if let Some(p) = options.progress {
        p.finish();
    }
    let scanned = scanned.map_err(|e| crate::catalog::scan_error(e, path))?;
    // The outer folder stays where package.cab ends: findings are named
    // from the shards after it in the same pass.
    let resume = xml.finish_resumable()?;
    Ok((scanned, resume))
}

/// What all the checkers found, together.
struct Merged {
    counts: Counts,
    findings: Vec<Finding>,
    subjects: Vec<Subject<'static>>,
    categories: HashMap<String, u64>,
    combinations: Vec<Vec<Tally>>,
    vocabulary: Option<Vocabulary>,
}

impl Merged {
    fn of(checkers: Vec<Checker<'_>>, profiles: &[Profile], collect: bool) -> Merged {
        // Sized once: growing would hold the old buffer and the new at once.
        let mut m = Merged {
            counts: Counts::default(),
            findings: Vec::with_capacity(checkers.iter().map(|c| c.findings.len()).sum()),
            subjects: Vec::with_capacity(checkers.iter().map(|c| c.subjects.len()).sum()),
            categories: HashMap::new(),
            combinations: no_tallies(profiles),
            vocabulary: collect.then(Vocabulary::default),
        };
        for checker in checkers {
            for kind in Kind::ALL {
                *m.counts.by_kind.entry(kind).or_default() += checker.counts[kind as usize];
            }
            m.findings.extend(checker.findings);
            m.subjects.extend(checker.subjects);
            m.categories.extend(checker.categories);
            for (all, batch) in m.combinations.iter_mut().zip(checker.combinations) {
                for (a, b) in all.iter_mut().zip(batch) {
                    a.absorb(b);
                }
            }
            if let (Some(v), Some(c)) = (&mut m.vocabulary, checker.vocabulary) {
                v.absorb(c);
            }
        }
        m
    }
}

/// A finding per combination rule that some update matched.
fn combination_findings(profiles: &[Profile], combinations: &[Vec<Tally>]) -> Vec<CatalogFinding> {
    let mut out = Vec::new();
    for (profile, tallies) in profiles.iter().zip(combinations) {
        for (rule, tally) in profile.combination_rules.iter().zip(tallies) {
            if tally.updates > 0 {
                out.push(CatalogFinding {
                    rule: rule.name.clone(),
                    profile: profile.name.clone(),
                    severity: rule.severity,
                    subject: format!("{} update(s) match {}", tally.updates, rule.name),
                    term: None,
                    updates: tally.updates,
                    occurrences: tally.occurrences,
                    first: refs(&tally.first),
                    message: rule.message.clone().unwrap_or_else(|| {
                        format!("{} is not allowed by {}", rule.name, profile.name)
                    }),
                });
            }
        }
    }
    out
}

/// Adds what the updates do not say: the root's attributes, and index.xml's
/// terms when a baseline has them or one is being learnt.
fn complete_vocabulary(
    v: &mut Vocabulary,
    catalog: &Catalog,
    path: &Path,
    root: &RootInfo,
    options: &CheckOptions<'_>,
) -> Result<()> {
    v.add_root(root);
    let needs_index = options.learn
        || options
            .profiles
            .iter()
            .any(|p| p.vocabulary.as_ref().is_some_and(|v| v.needs_index()));
    if needs_index {
        v.add_index(&catalog.read_index_xml()?)
            .map_err(|e| e.with_file(path))?;
    }
    Ok(())
}

/// A finding per term of `v` that a profile's baseline never saw.
fn novelty_findings(profiles: &[Profile], v: &Vocabulary) -> Vec<CatalogFinding> {
    let mut out = Vec::new();
    for profile in profiles {
        let Some(rules) = &profile.vocabulary else {
            continue;
        };
        for (term, tally) in &v.terms {
            if rules.knows(term) == Some(false) {
                out.push(CatalogFinding {
                    rule: term.novelty_rule().to_string(),
                    profile: profile.name.clone(),
                    severity: rules.severity,
                    subject: term.describe(),
                    term: Some(term.clone()),
                    updates: tally.updates,
                    occurrences: tally.occurrences,
                    first: refs(&tally.first),
                    message: format!("{} never saw this", profile.name),
                });
            }
        }
    }
    out
}

/// Names the updates of every finding from the shards: each finding's
/// update, and the first updates of each catalog-level finding.
fn name_findings(
    catalog: &Catalog,
    options: &CheckOptions<'_>,
    resume: OuterResume,
    merged: &mut Merged,
    catalog_findings: &mut [CatalogFinding],
) -> Result<()> {
    // Catalog-level findings name their first updates too; the shards are
    // read once for both kinds.
    let subjects = &mut merged.subjects;
    let mut named: BTreeSet<u64> = subjects.iter().map(|s| s.revision_id).collect();
    for f in catalog_findings.iter() {
        for u in &f.first {
            if named.insert(u.revision_id) {
                subjects.push(Subject {
                    revision_id: u.revision_id,
                    default_language: None,
                    categories: Vec::new(),
                    bundled_by: None,
                });
            }
        }
    }
    if subjects.is_empty() {
        return Ok(());
    }
    let index = catalog.read_index()?;
    let request = names::request_for(subjects.iter().cloned(), &merged.categories, &options.lang);
    let (gathered, report) = names::gather_resuming(
        catalog,
        &index,
        &request,
        &HashSet::new(),
        options.scan.threads,
        Some(resume),
    )?;
    drop(request);
    // Each finding is named straight from what was read, never through a
    // map of every subject's names that the findings then copy: with a
    // profile that flags every update, that map and its copies were the
    // largest thing check held (about 50 MB at 136k updates).
    subjects.sort_unstable_by_key(|s| s.revision_id);
    let subject = |rev: u64| {
        subjects
            .binary_search_by_key(&rev, |s| s.revision_id)
            .ok()
            .map(|i| &subjects[i])
    };
    let name = |s: &Subject<'_>| gathered.names_for(s, &merged.categories, &options.lang, &report);
    for f in &mut merged.findings {
        if let Some(s) = subject(f.revision_id) {
            f.names = name(s);
        }
    }
    for f in catalog_findings {
        for u in &mut f.first {
            u.title =
                subject(u.revision_id).and_then(|s| name(s).title.as_deref().map(str::to_string));
        }
    }
    Ok(())
}

/// The first updates of a tally, sorted, without titles (package.xml has
/// none).
fn refs(first: &[u64]) -> Vec<UpdateRef> {
    let mut revs = first.to_vec();
    revs.sort_unstable();
    revs.into_iter()
        .map(|revision_id| UpdateRef {
            revision_id,
            title: None,
        })
        .collect()
}
