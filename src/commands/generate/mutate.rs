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
    pub minimum_client_version: Option<String>,
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
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Removed while superseded in the previous catalog (see docs/diff.md).
    pub expired: Vec<String>,
    /// (UpdateId, old RevisionId, new RevisionId).
    pub revised: Vec<(String, u32, u32)>,
    /// Sorted by UpdateId, then attribute.
    pub attribute_changes: Vec<AttributeChange>,
    pub newly_superseded: Vec<String>,
    /// UpdateIds referenced as `Category Type="Product"`.
    pub products_added: Vec<String>,
    pub products_removed: Vec<String>,
    pub classifications_added: Vec<String>,
    pub classifications_removed: Vec<String>,
    /// Root attributes: (name, old, new).
    pub root_changes: Vec<(String, Option<String>, Option<String>)>,
    /// What a baseline of the previous catalog flags in this one, with the
    /// RevisionIds carrying each (sorted).
    pub novelties: Vec<(Term, Vec<u32>)>,
}

/// A mutated catalog and what changed.
pub struct Mutated {
    pub generated: Generated,
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
pub fn mutate(prev: &Generated, spec: &MutateSpec) -> Mutated {
    let old = &prev.truth;
    let mut rng = Rng::new(spec.seed);
    let mut changes = Changes::default();
    // Work on copies whose category references are RevisionIds, which
    // survive reordering; indices are restored at the end.
    let mut work: Vec<(TruthUpdate, Vec<u32>)> = old
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
    let of_kind =
        |k: Kind| -> Vec<usize> { (0..work.len()).filter(|&i| work[i].0.kind == k).collect() };
    let bundles = of_kind(Kind::Bundle);
    let children = of_kind(Kind::Child);
    let mut touched: BTreeSet<usize> = BTreeSet::new();

    // Removals: whole bundles with their children.
    let removed_bundles = choose(&mut rng, &bundles, spec.remove_bundles, |_| true);
    let removed_revs: BTreeSet<u32> = removed_bundles
        .iter()
        .map(|&i| work[i].0.revision_id)
        .collect();
    let mut removed: BTreeSet<usize> = removed_bundles.iter().copied().collect();
    for &i in &children {
        if work[i]
            .0
            .bundled_by
            .is_some_and(|b| removed_revs.contains(&b))
        {
            removed.insert(i);
        }
    }
    for &i in &removed {
        let u = &work[i].0;
        changes.removed.push(u.update_id.clone());
        if !u.superseded_by.is_empty() {
            changes.expired.push(u.update_id.clone());
        }
    }
    touched.extend(removed.iter().copied());

    let mut next_rev = old.updates.iter().map(|u| u.revision_id).max().unwrap_or(0) + 1000;
    let mut new_rev = || {
        next_rev += 1 + rng_step(next_rev);
        next_rev
    };

    // Revisions of bundled children.
    let revised = choose(&mut rng, &children, spec.revise, |i| !touched.contains(&i));
    for &i in &revised {
        let u = &mut work[i].0;
        let rev = new_rev();
        changes
            .revised
            .push((u.update_id.clone(), u.revision_id, rev));
        u.revision_id = rev;
        u.revision_number += 1;
    }
    touched.extend(revised.iter().copied());

    // A DeploymentAction value on bundled children.
    let mut da_changed = Vec::new();
    if let Some((value, n)) = &spec.deployment_action {
        da_changed = choose(&mut rng, &children, *n, |i| !touched.contains(&i));
        for &i in &da_changed {
            let u = &mut work[i].0;
            changes.attribute_changes.push((
                u.update_id.clone(),
                "DeploymentAction".into(),
                u.deployment_action.clone(),
                Some(value.clone()),
            ));
            u.deployment_action = Some(value.clone());
        }
        touched.extend(da_changed.iter().copied());
    }

    // Nested bundles.
    let nested = choose(&mut rng, &bundles, spec.nested_bundles, |i| {
        !touched.contains(&i)
    });
    for &i in &nested {
        let u = &mut work[i].0;
        changes.attribute_changes.push((
            u.update_id.clone(),
            "DeploymentAction".into(),
            u.deployment_action.clone(),
            Some("Bundle".into()),
        ));
        u.deployment_action = Some("Bundle".into());
    }
    touched.extend(nested.iter().copied());

    // A new attribute and a new child element.
    let everyone: Vec<usize> = (0..work.len()).collect();
    let mut with_attribute = Vec::new();
    if let Some((name, value, n)) = &spec.new_attribute {
        with_attribute = choose(&mut rng, &everyone, *n, |i| !touched.contains(&i));
        for &i in &with_attribute {
            let u = &mut work[i].0;
            changes.attribute_changes.push((
                u.update_id.clone(),
                name.clone(),
                None,
                Some(value.clone()),
            ));
            u.extra_attributes.push((name.clone(), value.clone()));
        }
        touched.extend(with_attribute.iter().copied());
    }
    let mut with_child = Vec::new();
    if let Some((name, n)) = &spec.new_child {
        with_child = choose(&mut rng, &everyone, *n, |i| !removed.contains(&i));
        for &i in &with_child {
            work[i].0.extra_children.push(name.clone());
        }
    }

    // A new product, then new bundles with children.
    let mut products: Vec<u32> = work
        .iter()
        .filter(|(u, _)| u.category_type == Some(CategoryType::Product))
        .map(|(u, _)| u.revision_id)
        .collect();
    let company_family: Vec<u32> = work
        .iter()
        .filter(|(u, _)| {
            matches!(
                u.category_type,
                Some(CategoryType::Company | CategoryType::ProductFamily)
            )
        })
        .map(|(u, _)| u.revision_id)
        .take(2)
        .collect();
    let classifications: Vec<u32> = work
        .iter()
        .filter(|(u, _)| u.category_type == Some(CategoryType::UpdateClassification))
        .map(|(u, _)| u.revision_id)
        .collect();
    let fresh = |rng: &mut Rng, rev: u32, kind: Kind| {
        TruthUpdate::blank(rev, rng.guid(), 100, kind, spec.creation_date.clone())
    };
    let mut added: Vec<(TruthUpdate, Vec<u32>)> = Vec::new();
    if let Some(title) = &spec.add_product {
        let mut p = fresh(&mut rng, new_rev(), Kind::Category);
        p.deployment_action = Some("Evaluate".into());
        p.category_type = Some(CategoryType::Product);
        p.title = title.clone();
        let family = company_family.get(1).copied().into_iter().collect();
        products = vec![p.revision_id];
        added.push((p, family));
    }
    let mut new_bundles = Vec::new();
    for _ in 0..spec.add_bundles {
        let mut b = fresh(&mut rng, new_rev(), Kind::Bundle);
        let product = *rng.pick(&products);
        let class = *rng.pick(&classifications);
        b.title = format!("2026-06 Update (KB{})", 5_100_000 + rng.below(99_999));
        let mut cats = company_family.clone();
        cats.extend([product, class]);
        let bundle_rev = b.revision_id;
        new_bundles.push(bundle_rev);
        added.push((b, cats.clone()));
        for _ in 0..rng.range(1, 3) {
            let mut c = fresh(&mut rng, new_rev(), Kind::Child);
            c.deployment_action = Some("Bundle".into());
            c.bundled_by = Some(bundle_rev);
            c.payload.push(rng.bytes());
            added.push((c, cats.clone()));
        }
    }
    for (u, _) in &added {
        changes.added.push(u.update_id.clone());
    }

    // Newly superseded bundles, by the new ones when there are any.
    let superseders: Vec<u32> = if new_bundles.is_empty() {
        bundles.iter().map(|&i| work[i].0.revision_id).collect()
    } else {
        new_bundles.clone()
    };
    let superseded = choose(&mut rng, &bundles, spec.supersede, |i| {
        !removed.contains(&i) && work[i].0.superseded_by.is_empty()
    });
    for &i in &superseded {
        let u = &mut work[i].0;
        let by = *rng.pick(&superseders);
        u.superseded_by
            .push(if by == u.revision_id { by + 1 } else { by });
        changes.newly_superseded.push(u.update_id.clone());
    }

    // The new truth: survivors and additions in RevisionId order, category
    // references back to indices.
    let mut kept: Vec<(TruthUpdate, Vec<u32>)> = work
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !removed.contains(i))
        .map(|(_, w)| w)
        .chain(added)
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
    let new = Truth {
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
    };

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
        let (a, b) = (referenced(old, ty), referenced(&new, ty));
        *add = minus(&b, &a);
        *rem = minus(&a, &b);
    }
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
    changes.root_changes.sort();

    // What a baseline of `old` flags in `new`.
    let revs = |list: &[usize], w: &Truth| -> Vec<u32> {
        let ids: BTreeSet<&str> = list
            .iter()
            .map(|&i| old.updates[i].update_id.as_str())
            .collect();
        let mut r: Vec<u32> = w
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
        if !known && !da_changed.is_empty() {
            changes.novelties.push((
                Term::Value {
                    attribute: "Update@DeploymentAction".into(),
                    value: Some(value.clone()),
                },
                revs(&da_changed, &new),
            ));
        }
    }
    if let Some((name, _, _)) = &spec.new_attribute {
        if !with_attribute.is_empty() {
            changes.novelties.push((
                Term::Attribute {
                    path: UPDATE_PATH.into(),
                    name: name.clone(),
                },
                revs(&with_attribute, &new),
            ));
        }
    }
    if let Some((name, _)) = &spec.new_child {
        if !with_child.is_empty() {
            changes.novelties.push((
                Term::Element {
                    path: format!("{UPDATE_PATH}/{name}"),
                },
                revs(&with_child, &new),
            ));
        }
    }
    let combos = |t: &Truth| -> BTreeMap<Combination, Vec<u32>> {
        let mut m: BTreeMap<Combination, Vec<u32>> = BTreeMap::new();
        for u in &t.updates {
            m.entry(Truth::combination(u))
                .or_default()
                .push(u.revision_id);
        }
        m
    };
    let before = combos(old);
    for (c, r) in combos(&new) {
        if !before.contains_key(&c) {
            changes.novelties.push((Term::Combination(c), r));
        }
    }
    changes.novelties.sort();
    for list in [
        &mut changes.added,
        &mut changes.removed,
        &mut changes.expired,
        &mut changes.newly_superseded,
    ] {
        list.sort();
    }
    changes.revised.sort();
    changes.attribute_changes.sort();

    let layout = Spec {
        creation_date: spec.creation_date.clone(),
        ..spec.layout.clone()
    };
    let generated = render(&layout, new, &mut rng);
    Mutated { generated, changes }
}

/// A small gap between new RevisionIds, derived from the last one so that
/// the closure needs no second borrow of the generator's RNG.
fn rng_step(last: u32) -> u32 {
    last.wrapping_mul(2_654_435_761) >> 30
}
