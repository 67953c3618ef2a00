//! The info report: identity, shards and the census.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{show_value, verify::signature_lines, Style};
use crate::info::{CabEntry, CategoryCount, InfoReport};
use crate::inventory::Supersedence;
use crate::update::Kind;

#[derive(Serialize)]
struct Count<'a> {
    value: Option<&'a str>,
    updates: u64,
}

#[derive(Serialize)]
struct AttrValue<'a> {
    attribute: &'a str,
    value: &'a str,
    updates: u64,
}

#[derive(Serialize)]
struct Doc<'a> {
    catalog: &'a crate::check::CatalogIdentity,
    signature: &'a crate::integrity::SignatureStatus,
    package_xml_bytes: u64,
    updates: u64,
    by_kind: &'a BTreeMap<Kind, u64>,
    /// `value: null` is the row for updates without the attribute.
    deployment_action: Vec<Count<'a>>,
    attributes: &'a BTreeMap<String, u64>,
    attribute_values: Vec<AttrValue<'a>>,
    category_types: &'a BTreeMap<String, u64>,
    supersedence: &'a Supersedence,
    unreadable_refs: u64,
    file_locations: u64,
    products: &'a [CategoryCount],
    classifications: &'a [CategoryCount],
    cabs: &'a [CabEntry],
    unlisted_members: &'a [String],
}

/// JSON.
pub fn json(r: &InfoReport) -> String {
    let c = &r.census;
    super::json_document(&Doc {
        catalog: &r.catalog,
        signature: &r.signature,
        package_xml_bytes: r.package_xml_bytes,
        updates: r.updates,
        by_kind: &c.by_kind,
        deployment_action: c
            .deployment_action
            .iter()
            .map(|(v, n)| Count {
                value: v.as_deref(),
                updates: *n,
            })
            .collect(),
        attributes: &c.attributes,
        attribute_values: c
            .values
            .iter()
            .map(|((a, v), n)| AttrValue {
                attribute: a,
                value: v,
                updates: *n,
            })
            .collect(),
        category_types: &c.category_types,
        supersedence: &r.supersedence,
        unreadable_refs: c.unreadable_refs,
        file_locations: c.file_locations,
        products: &r.products,
        classifications: &r.classifications,
        cabs: &r.cabs,
        unlisted_members: &r.unlisted_members,
    })
}

fn category_rows(list: &[CategoryCount]) -> Vec<[String; 2]> {
    list.iter()
        .map(|c| {
            [
                c.updates.to_string(),
                c.name.clone().unwrap_or_else(|| c.update_id.clone()),
            ]
        })
        .collect()
}

/// Text for people.
pub fn human(r: &InfoReport, style: Style) -> String {
    let mut out = String::new();
    let c = &r.catalog;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".to_string());
    let _ = writeln!(
        out,
        "{}",
        style.paint("1", &format!("Catalog   {}", c.path))
    );
    let _ = writeln!(out, "  size               {} bytes", c.size);
    let _ = writeln!(out, "  sha256             {}", c.sha256);
    let _ = writeln!(out, "  PackageId          {}", opt(&c.package_id));
    let _ = writeln!(out, "  CreationDate       {}", opt(&c.creation_date));
    let _ = writeln!(
        out,
        "  versions           package {}, protocol {}, minimum client {}",
        opt(&c.package_version),
        opt(&c.protocol_version),
        opt(&c.minimum_client_version)
    );
    let _ = write!(out, "{}", signature_lines(&r.signature, "Signature "));
    let _ = writeln!(out, "\nCabinets  (index.xml)");
    let rows: Vec<[String; 4]> = r
        .cabs
        .iter()
        .map(|cab| {
            [
                cab.name.clone(),
                cab.range_start.map_or("-".into(), |s| s.to_string()),
                cab.bytes
                    .map_or("MISSING from the catalog".into(), |b| b.to_string()),
                if cab.files_dir { "files\\" } else { "" }.to_string(),
            ]
        })
        .collect();
    out.push_str(&super::table(&["Name", "RANGESTART", "Bytes", ""], &rows));
    for m in &r.unlisted_members {
        let _ = writeln!(out, "  not in index.xml: {m}");
    }
    let census = &r.census;
    let _ = writeln!(
        out,
        "\nUpdates   {} in package.xml ({} bytes)",
        r.updates, r.package_xml_bytes
    );
    for kind in Kind::ALL {
        let _ = writeln!(
            out,
            "  {:<22} {}",
            kind.plural(),
            census.by_kind.get(&kind).copied().unwrap_or(0)
        );
    }
    let _ = writeln!(out, "\nDeploymentAction");
    for (v, n) in &census.deployment_action {
        let _ = writeln!(out, "  {:<22} {n}", show_value(v.as_deref()));
    }
    let _ = writeln!(out, "\n<Update> attributes");
    for (name, n) in &census.attributes {
        let _ = writeln!(out, "  {name:<22} {n}");
        for ((a, v), m) in &census.values {
            if a == name {
                let _ = writeln!(out, "    = {:<18} {m}", show_value(Some(v)));
            }
        }
    }
    let _ = writeln!(out, "\nCategory types (references)");
    for (t, n) in &census.category_types {
        let _ = writeln!(out, "  {t:<22} {n}");
    }
    let _ = writeln!(out, "\nProducts ({})", r.products.len());
    out.push_str(&super::table(
        &["Updates", "Product"],
        &category_rows(&r.products),
    ));
    let _ = writeln!(out, "\nClassifications ({})", r.classifications.len());
    out.push_str(&super::table(
        &["Updates", "Classification"],
        &category_rows(&r.classifications),
    ));
    let s = &r.supersedence;
    let _ = writeln!(
        out,
        "\nSupersedence\n  superseded updates     {}\n  references             {}\n  dangling references    {} (to revisions not in this catalog)\n  superseding revisions  {}",
        s.superseded_updates, s.references, s.dangling, s.superseding_revisions
    );
    if census.unreadable_refs > 0 {
        let _ = writeln!(
            out,
            "  unreadable references  {} (BundledBy/SupersededBy Ids that are not numbers)",
            census.unreadable_refs
        );
    }
    let _ = writeln!(out, "\nFileLocations {}", census.file_locations);
    out
}
