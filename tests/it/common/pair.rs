//! A generated catalog and its mutated successor, with the ground truth.

use wsuscat::cab::Compression;
use wsuscat::commands::generate::mutate::{mutate, MutateSpec, Mutated};
use wsuscat::commands::generate::{generate, Generated, Spec};

pub fn old_spec() -> Spec {
    Spec {
        seed: 5_474,
        updates: 700,
        shards: 3,
        outer: Compression::MsZip,
        inner: Compression::MsZip,
        ..Spec::default()
    }
}

pub fn mutation() -> MutateSpec {
    MutateSpec {
        seed: 2_025,
        add_bundles: 3,
        remove_bundles: 5,
        revise: 6,
        supersede: 4,
        deployment_action: Some(("OptionalInstall".into(), 4)),
        new_attribute: Some(("IsBeta".into(), "true".into(), 3)),
        new_child: Some(("Future".into(), 2)),
        nested_bundles: 1,
        add_product: Some("Windows 12".into()),
        minimum_client_version: Some("10.0.19041.1".into()),
        layout: old_spec(),
        ..MutateSpec::default()
    }
}

pub fn pair() -> (Generated, Mutated) {
    let a = generate(&old_spec());
    let b = mutate(&a, &mutation());
    (a, b)
}
