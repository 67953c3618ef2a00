//! "The next catalog": a generated catalog mutated from a previous one, with
//! the ground truth of every change.
//!
//! `diff` and baselines are about what changes between two catalogs, so their
//! tests need pairs whose differences are known by construction: the
//! mutation records each change as it makes it, and tests compare wsuscat's
//! reading of the two files with that record, never with a previous run.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::model::{CategoryType, Truth, TruthUpdate};
use super::rng::Rng;
use super::{render, Generated, Spec};
use crate::catalog::update::Kind;
use crate::rules::vocab::{Combination, Term, UPDATE_PATH};

/// What to change.
#[derive(Debug, Clone)]
pub struct MutateSpec {
    /// Seed of the mutation's own [`Rng`]: the same previous catalog, spec
    /// and seed give the same bytes.
    pub seed: u64,
    /// New bundles, each with bundled children.
    pub add_bundles: usize,
    /// Bundles removed with their children.
    pub remove_bundles: usize,
    /// Bundled children given a new revision (new RevisionId, RevisionNumber + 1).
    pub revise: usize,
    /// Bundles that were not superseded and now are.
    pub supersede: usize,
    /// A DeploymentAction value given to this many bundled children.
    pub deployment_action: Option<(String, usize)>,
    /// An attribute (name, value) added to this many updates' `<Update>`.
    pub new_attribute: Option<(String, String, usize)>,
    /// An empty child element added to this many updates.
    pub new_child: Option<(String, usize)>,
    /// Bundles given `DeploymentAction="Bundle"`: bundles that are bundled.
    pub nested_bundles: usize,
    /// A new product category (its title), used by every added bundle.
    pub add_product: Option<String>,
    /// The new root MinimumClientVersion; `None` keeps the previous
    /// catalog's.
    pub minimum_client_version: Option<String>,
    /// The new catalog's CreationDate (root attribute), also given to
    /// every update it adds.
    pub creation_date: String,
    /// Compression, shards and XML style; `seed`, `updates` and `inject`
    /// are ignored.
    pub layout: Spec,
}

impl Default for MutateSpec {
    fn default() -> Self {
        MutateSpec {
            seed: 2,
            add_bundles: 0,
            remove_bundles: 0,
            revise: 0,
            supersede: 0,
            deployment_action: None,
            new_attribute: None,
            new_child: None,
            nested_bundles: 0,
            add_product: None,
            minimum_client_version: None,
            creation_date: "2026-06-09T08:51:08Z".to_string(),
            layout: Spec::default(),
        }
    }
}

/// An attribute of one update that changed: (UpdateId, attribute, old, new).
pub type AttributeChange = (String, String, Option<String>, Option<String>);

/// Everything that changed, as the mutation made it. UpdateId lists are
/// sorted.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// UpdateIds of the updates added: the new product, if any, and the new
    /// bundles with their children.
    pub added: Vec<String>,
    /// UpdateIds of the updates removed: whole bundles with their
    /// children.
    pub removed: Vec<String>,
    /// Removed while superseded in the previous catalog (see docs/diff.md).
    pub expired: Vec<String>,
    /// (UpdateId, old RevisionId, new RevisionId).
    pub revised: Vec<(String, u32, u32)>,
    /// Sorted by UpdateId, then attribute.
    pub attribute_changes: Vec<AttributeChange>,
    /// UpdateIds of bundles that stay and were given a `<SupersededBy>`
    /// they did not have.
    pub newly_superseded: Vec<String>,
    /// UpdateIds referenced as `Category Type="Product"` in the new
    /// catalog and not in the previous one.
    pub products_added: Vec<String>,
    /// UpdateIds referenced as `Category Type="Product"` in the previous
    /// catalog and not in the new one.
    pub products_removed: Vec<String>,
    /// Like `products_added`, for `Type="UpdateClassification"`.
    pub classifications_added: Vec<String>,
    /// Like `products_removed`, for `Type="UpdateClassification"`.
    pub classifications_removed: Vec<String>,
    /// Root attributes: (name, old, new).
    pub root_changes: Vec<(String, Option<String>, Option<String>)>,
    /// What a baseline of the previous catalog flags in this one, with the
    /// RevisionIds carrying each (sorted).
    pub novelties: Vec<(Term, Vec<u32>)>,
}

/// A mutated catalog and what changed.
pub struct Mutated {
    /// The new catalog's bytes and ground truth.
    pub generated: Generated,
    /// What changed from the previous catalog, for tests to compare
    /// `diff` and baselines with.
    pub changes: Changes,
}

/// Category ids referenced with `Type`.
fn referenced(truth: &Truth, ty: CategoryType) -> BTreeSet<String> {
    truth
        .updates
        .iter()
        .flat_map(|u| u.categories.iter())
        .map(|&i| &truth.updates[i])
        .filter(|c| c.category_type == Some(ty))
        .map(|c| c.update_id.clone())
        .collect()
}

fn minus(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.difference(b).cloned().collect()
}

/// Takes `n` distinct items of `pool` that `ok` accepts, in a seeded order.
fn choose(rng: &mut Rng, pool: &[usize], n: usize, ok: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut pool: Vec<usize> = pool.iter().copied().filter(|&i| ok(i)).collect();
    rng.shuffle(&mut pool);
    pool.truncate(n);
    pool
}

/// Builds the next catalog from `prev`.
///
/// Every step draws from one RNG, so the steps run in a fixed order
/// (removals, revisions, DeploymentAction, nesting, attributes, child
/// elements, additions, supersedence, then the new document order and the
/// rendering): reordering them would change every file a seed gives.
pub fn mutate(prev: &Generated, spec: &MutateSpec) -> Mutated {
    let old = &prev.truth;
    let mut rng = Rng::new(spec.seed);
    let mut changes = Changes::default();
    let mut work = Work::of(old);
    work.remove_bundles(&mut rng, spec.remove_bundles, &mut changes);
    work.revise_children(&mut rng, spec.revise, &mut changes);
    let mut drift = Drift::default();
    if let Some((value, n)) = &spec.deployment_action {
        drift.deployment_action = work.set_deployment_action(&mut rng, value, *n, &mut changes);
    }
    work.nest_bundles(&mut rng, spec.nested_bundles, &mut changes);
    if let Some((name, value, n)) = &spec.new_attribute {
        drift.attribute = work.add_attribute(&mut rng, name, value, *n, &mut changes);
    }
    if let Some((name, n)) = &spec.new_child {
        drift.child = work.add_child_element(&mut rng, name, *n);
    }
    let new_bundles = work.add_updates(&mut rng, spec, &mut changes);
    work.supersede_bundles(&mut rng, spec.supersede, &new_bundles, &mut changes);

    let new = work.into_truth(&mut rng, old, spec);
    record_category_changes(old, &new, &mut changes);
    record_root_changes(old, &new, &mut changes);
    record_novelties(old, &new, spec, &drift, &mut changes);
    changes.sort();

    let layout = Spec {
        creation_date: spec.creation_date.clone(),
        ..spec.layout.clone()
    };
    let generated = render(&layout, new, &mut rng);
    Mutated { generated, changes }
}

/// The previous catalog's updates as the mutation changes them, and the
/// ones it adds.
struct Work {
    /// Every update of the previous catalog, at its index there, with its
    /// category references as RevisionIds, which survive the reordering at
    /// the end (indices are restored then).
    updates: Vec<(TruthUpdate, Vec<u32>)>,
    /// Indices of the bundles, and of the bundled children.
    bundles: Vec<usize>,
    children: Vec<usize>,
    /// Removed or changed already: later changes pick other updates, so
    /// that each change in the ground truth is the only one its update had.
    touched: BTreeSet<usize>,
    removed: BTreeSet<usize>,
    /// New updates, with their category references as RevisionIds.
    added: Vec<(TruthUpdate, Vec<u32>)>,
    /// The last RevisionId given out.
    last_rev: u32,
}

/// The updates given something a baseline of the previous catalog never
/// saw (indices into the previous catalog).
#[derive(Default)]
struct Drift {
    deployment_action: Vec<usize>,
    attribute: Vec<usize>,
    child: Vec<usize>,
}

/// The categories new bundles are filed under, as RevisionIds.
struct Filing {
    /// The company and a product family.
    company_family: Vec<u32>,
    products: Vec<u32>,
    classifications: Vec<u32>,
}

impl Work {
    fn of(old: &Truth) -> Work {
        let updates: Vec<(TruthUpdate, Vec<u32>)> = old
            .updates
            .iter()
            .map(|u| {
                let cats = u
                    .categories
                    .iter()
                    .map(|&i| old.updates[i].revision_id)
                    .collect();
                (u.clone(), cats)
            })
            .collect();
        let of_kind = |k: Kind| -> Vec<usize> {
            (0..updates.len())
                .filter(|&i| updates[i].0.kind == k)
                .collect()
        };
        let bundles = of_kind(Kind::Bundle);
        let children = of_kind(Kind::Child);
        let last_rev = old.updates.iter().map(|u| u.revision_id).max().unwrap_or(0) + 1000;
        Work {
            updates,
            bundles,
            children,
            touched: BTreeSet::new(),
            removed: BTreeSet::new(),
            added: Vec::new(),
            last_rev,
        }
    }

    /// A RevisionId above every one given out so far.
    fn new_rev(&mut self) -> u32 {
        self.last_rev += 1 + rng_step(self.last_rev);
        self.last_rev
    }

    /// Removes `n` whole bundles with their children.
    fn remove_bundles(&mut self, rng: &mut Rng, n: usize, changes: &mut Changes) {
        let bundles = choose(rng, &self.bundles, n, |_| true);
        let revs: BTreeSet<u32> = bundles
            .iter()
            .map(|&i| self.updates[i].0.revision_id)
            .collect();
        self.removed.extend(bundles);
        self.removed
            .extend(self.children.iter().copied().filter(|&i| {
                self.updates[i]
                    .0
                    .bundled_by
                    .is_some_and(|b| revs.contains(&b))
            }));
        for &i in &self.removed {
            let u = &self.updates[i].0;
            changes.removed.push(u.update_id.clone());
            if !u.superseded_by.is_empty() {
                changes.expired.push(u.update_id.clone());
            }
        }
        self.touched.extend(self.removed.iter().copied());
    }

    /// Gives `n` bundled children a new revision.
    fn revise_children(&mut self, rng: &mut Rng, n: usize, changes: &mut Changes) {
        let revised = choose(rng, &self.children, n, |i| !self.touched.contains(&i));
        for &i in &revised {
            let rev = self.new_rev();
            let u = &mut self.updates[i].0;
            changes
                .revised
                .push((u.update_id.clone(), u.revision_id, rev));
            u.revision_id = rev;
            u.revision_number += 1;
        }
        self.touched.extend(revised);
    }

    /// Gives `n` bundled children DeploymentAction `value`; returns them.
    fn set_deployment_action(
        &mut self,
        rng: &mut Rng,
        value: &str,
        n: usize,
        changes: &mut Changes,
    ) -> Vec<usize> {
        let chosen = choose(rng, &self.children, n, |i| !self.touched.contains(&i));
        self.change_deployment_action(&chosen, value, changes);
        chosen
    }

    /// Makes `n` bundles bundled: `DeploymentAction="Bundle"`.
    fn nest_bundles(&mut self, rng: &mut Rng, n: usize, changes: &mut Changes) {
        let chosen = choose(rng, &self.bundles, n, |i| !self.touched.contains(&i));
        self.change_deployment_action(&chosen, "Bundle", changes);
    }

    fn change_deployment_action(&mut self, chosen: &[usize], value: &str, changes: &mut Changes) {
        for &i in chosen {
            let u = &mut self.updates[i].0;
            changes.attribute_changes.push((
                u.update_id.clone(),
                "DeploymentAction".into(),
                u.deployment_action.clone(),
                Some(value.to_string()),
            ));
            u.deployment_action = Some(value.to_string());
        }
        self.touched.extend(chosen.iter().copied());
    }

    /// Adds the attribute `name="value"` to `n` updates; returns them.
    fn add_attribute(
        &mut self,
        rng: &mut Rng,
        name: &str,
        value: &str,
        n: usize,
        changes: &mut Changes,
    ) -> Vec<usize> {
        let everyone: Vec<usize> = (0..self.updates.len()).collect();
        let chosen = choose(rng, &everyone, n, |i| !self.touched.contains(&i));
        for &i in &chosen {
            let u = &mut self.updates[i].0;
            changes.attribute_changes.push((
                u.update_id.clone(),
                name.to_string(),
                None,
                Some(value.to_string()),
            ));
            u.extra_attributes
                .push((name.to_string(), value.to_string()));
        }
        self.touched.extend(chosen.iter().copied());
        chosen
    }

    /// Adds an empty child element `name` to `n` updates that stay, changed
    /// or not (diff has no section for elements); returns them.
    fn add_child_element(&mut self, rng: &mut Rng, name: &str, n: usize) -> Vec<usize> {
        let everyone: Vec<usize> = (0..self.updates.len()).collect();
        let chosen = choose(rng, &everyone, n, |i| !self.removed.contains(&i));
        for &i in &chosen {
            self.updates[i].0.extra_children.push(name.to_string());
        }
        chosen
    }

    /// The categories of the previous catalog that new bundles can use.
    fn filing(&self) -> Filing {
        let revs = |keep: fn(Option<CategoryType>) -> bool| -> Vec<u32> {
            self.updates
                .iter()
                .filter(|(u, _)| keep(u.category_type))
                .map(|(u, _)| u.revision_id)
                .collect()
        };
        let mut company_family =
            revs(|t| matches!(t, Some(CategoryType::Company | CategoryType::ProductFamily)));
        company_family.truncate(2);
        Filing {
            company_family,
            products: revs(|t| t == Some(CategoryType::Product)),
            classifications: revs(|t| t == Some(CategoryType::UpdateClassification)),
        }
    }

    /// Adds the new product, if any, then the new bundles with their
    /// children, all filed under it; returns the bundles' RevisionIds.
    fn add_updates(&mut self, rng: &mut Rng, spec: &MutateSpec, changes: &mut Changes) -> Vec<u32> {
        let mut filing = self.filing();
        if let Some(title) = &spec.add_product {
            filing.products = vec![self.add_product(rng, title, &filing, &spec.creation_date)];
        }
        let new_bundles = (0..spec.add_bundles)
            .map(|_| self.add_bundle(rng, &filing, &spec.creation_date))
            .collect();
        changes
            .added
            .extend(self.added.iter().map(|(u, _)| u.update_id.clone()));
        new_bundles
    }

    /// A new update with its identity only.
    fn fresh(&mut self, rng: &mut Rng, kind: Kind, creation_date: &str) -> TruthUpdate {
        let rev = self.new_rev();
        TruthUpdate::blank(rev, rng.guid(), 100, kind, creation_date.to_string())
    }

    /// Adds a product category in the product family; returns its
    /// RevisionId.
    fn add_product(
        &mut self,
        rng: &mut Rng,
        title: &str,
        filing: &Filing,
        creation_date: &str,
    ) -> u32 {
        let mut p = self.fresh(rng, Kind::Category, creation_date);
        p.deployment_action = Some("Evaluate".into());
        p.category_type = Some(CategoryType::Product);
        p.title = title.to_string();
        let family = filing.company_family.get(1).copied().into_iter().collect();
        let rev = p.revision_id;
        self.added.push((p, family));
        rev
    }

    /// Adds a bundle with one to three children; returns its RevisionId.
    fn add_bundle(&mut self, rng: &mut Rng, filing: &Filing, creation_date: &str) -> u32 {
        let mut b = self.fresh(rng, Kind::Bundle, creation_date);
        let product = *rng.pick(&filing.products);
        let class = *rng.pick(&filing.classifications);
        b.title = format!("2026-06 Update (KB{})", 5_100_000 + rng.below(99_999));
        let mut cats = filing.company_family.clone();
        cats.extend([product, class]);
        let bundle_rev = b.revision_id;
        self.added.push((b, cats.clone()));
        for _ in 0..rng.range(1, 3) {
            let mut c = self.fresh(rng, Kind::Child, creation_date);
            c.deployment_action = Some("Bundle".into());
            c.bundled_by = Some(bundle_rev);
            c.payload.push(rng.bytes());
            self.added.push((c, cats.clone()));
        }
        bundle_rev
    }

    /// Supersedes `n` bundles that stay and were not superseded, by the new
    /// bundles when there are any.
    fn supersede_bundles(
        &mut self,
        rng: &mut Rng,
        n: usize,
        new_bundles: &[u32],
        changes: &mut Changes,
    ) {
        let superseders: Vec<u32> = if new_bundles.is_empty() {
            self.bundles
                .iter()
                .map(|&i| self.updates[i].0.revision_id)
                .collect()
        } else {
            new_bundles.to_vec()
        };
        let superseded = choose(rng, &self.bundles, n, |i| {
            !self.removed.contains(&i) && self.updates[i].0.superseded_by.is_empty()
        });
        for &i in &superseded {
            let u = &mut self.updates[i].0;
            let by = *rng.pick(&superseders);
            u.superseded_by
                .push(if by == u.revision_id { by + 1 } else { by });
            changes.newly_superseded.push(u.update_id.clone());
        }
    }

    /// The new truth: survivors and additions in RevisionId order, category
    /// references back to indices, in a new document order.
    fn into_truth(self, rng: &mut Rng, old: &Truth, spec: &MutateSpec) -> Truth {
        let removed = self.removed;
        let mut kept: Vec<(TruthUpdate, Vec<u32>)> = self
            .updates
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !removed.contains(i))
            .map(|(_, w)| w)
            .chain(self.added)
            .collect();
        kept.sort_by_key(|(u, _)| u.revision_id);
        let index: HashMap<u32, usize> = kept
            .iter()
            .enumerate()
            .map(|(i, (u, _))| (u.revision_id, i))
            .collect();
        let updates: Vec<TruthUpdate> = kept
            .into_iter()
            .map(|(mut u, cats)| {
                u.categories = cats.iter().filter_map(|r| index.get(r).copied()).collect();
                u
            })
            .collect();
        let mut document_order: Vec<usize> = (0..updates.len()).collect();
        rng.shuffle(&mut document_order);
        let file_locations = updates.iter().flat_map(|u| u.payload.clone()).collect();
        Truth {
            updates,
            document_order,
            package_id: format!("{{{}}}", rng.guid()),
            source_id: old.source_id.clone(),
            creation_date: spec.creation_date.clone(),
            minimum_client_version: spec
                .minimum_client_version
                .clone()
                .unwrap_or_else(|| old.minimum_client_version.clone()),
            shards: Vec::new(),
            file_locations,
            package_xml_len: 0,
        }
    }
}

/// Products and classifications referenced in one catalog and not the other.
fn record_category_changes(old: &Truth, new: &Truth, changes: &mut Changes) {
    for (ty, add, rem) in [
        (
            CategoryType::Product,
            &mut changes.products_added,
            &mut changes.products_removed,
        ),
        (
            CategoryType::UpdateClassification,
            &mut changes.classifications_added,
            &mut changes.classifications_removed,
        ),
    ] {
        let (a, b) = (referenced(old, ty), referenced(new, ty));
        *add = minus(&b, &a);
        *rem = minus(&a, &b);
    }
}

fn record_root_changes(old: &Truth, new: &Truth, changes: &mut Changes) {
    for (name, a, b) in [
        ("CreationDate", &old.creation_date, &new.creation_date),
        (
            "MinimumClientVersion",
            &old.minimum_client_version,
            &new.minimum_client_version,
        ),
        ("PackageId", &old.package_id, &new.package_id),
    ] {
        if a != b {
            changes
                .root_changes
                .push((name.to_string(), Some(a.clone()), Some(b.clone())));
        }
    }
}

/// What a baseline of `old` flags in `new`: the terms the mutation
/// introduced, and kind-combinations `old` never had.
fn record_novelties(
    old: &Truth,
    new: &Truth,
    spec: &MutateSpec,
    drift: &Drift,
    changes: &mut Changes,
) {
    // The RevisionIds in `new` of the previous catalog's updates `list`.
    let revs = |list: &[usize]| -> Vec<u32> {
        let ids: BTreeSet<&str> = list
            .iter()
            .map(|&i| old.updates[i].update_id.as_str())
            .collect();
        let mut r: Vec<u32> = new
            .updates
            .iter()
            .filter(|u| ids.contains(u.update_id.as_str()))
            .map(|u| u.revision_id)
            .collect();
        r.sort_unstable();
        r
    };
    if let Some((value, _)) = &spec.deployment_action {
        let known = old
            .updates
            .iter()
            .any(|u| u.deployment_action.as_deref() == Some(value));
        if !known && !drift.deployment_action.is_empty() {
            changes.novelties.push((
                Term::Value {
                    attribute: "Update@DeploymentAction".into(),
                    value: Some(value.clone()),
                },
                revs(&drift.deployment_action),
            ));
        }
    }
    if let Some((name, _, _)) = &spec.new_attribute {
        if !drift.attribute.is_empty() {
            changes.novelties.push((
                Term::Attribute {
                    path: UPDATE_PATH.into(),
                    name: name.clone(),
                },
                revs(&drift.attribute),
            ));
        }
    }
    if let Some((name, _)) = &spec.new_child {
        if !drift.child.is_empty() {
            changes.novelties.push((
                Term::Element {
                    path: format!("{UPDATE_PATH}/{name}"),
                },
                revs(&drift.child),
            ));
        }
    }
    let before = combinations(old);
    for (c, r) in combinations(new) {
        if !before.contains_key(&c) {
            changes.novelties.push((Term::Combination(c), r));
        }
    }
}

/// The RevisionIds of each kind-combination `t` uses.
fn combinations(t: &Truth) -> BTreeMap<Combination, Vec<u32>> {
    let mut m: BTreeMap<Combination, Vec<u32>> = BTreeMap::new();
    for u in &t.updates {
        m.entry(Truth::combination(u))
            .or_default()
            .push(u.revision_id);
    }
    m
}

impl Changes {
    /// Sorts every list, as the type promises.
    fn sort(&mut self) {
        self.root_changes.sort();
        self.novelties.sort();
        for list in [
            &mut self.added,
            &mut self.removed,
            &mut self.expired,
            &mut self.newly_superseded,
        ] {
            list.sort();
        }
        self.revised.sort();
        self.attribute_changes.sort();
    }
}

/// A small gap between new RevisionIds, derived from the last one rather
/// than drawn from the RNG, which every other step draws from in turn.
fn rng_step(last: u32) -> u32 {
    last.wrapping_mul(2_654_435_761) >> 30
}
