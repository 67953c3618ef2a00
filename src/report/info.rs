//! The info report: identity, shards and the census.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{csv, jsonl, show_value, Format, Style};
use crate::catalog::inventory::Supersedence;
use crate::catalog::update::Kind;
use crate::commands::info::{CabEntry, CategoryCount, InfoReport};

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
    catalog: &'a crate::catalog::CatalogIdentity,
    signature: &'a crate::trust::integrity::SignatureStatus,
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

/// Renders an info report. JSON Lines and CSV flatten the census into
/// rows of (section, name, value, count): one `count` event or CSV record
/// each, after a `catalog` event in JSON Lines.
pub fn info(r: &InfoReport, format: Format, style: Style) -> String {
    match format {
        Format::Human => human(r, style),
        Format::Json => super::json_document(&doc(r)),
        Format::Jsonl => {
            #[derive(Serialize)]
            struct Catalog<'a> {
                #[serde(flatten)]
                catalog: &'a crate::catalog::CatalogIdentity,
                signature: &'a crate::trust::integrity::SignatureStatus,
                package_xml_bytes: u64,
                updates: u64,
            }
            let mut out = jsonl::event(
                "catalog",
                &Catalog {
                    catalog: &r.catalog,
                    signature: &r.signature,
                    package_xml_bytes: r.package_xml_bytes,
                    updates: r.updates,
                },
            );
            for row in rows(r) {
                out.push_str(&jsonl::event("count", &row));
            }
            out
        }
        Format::Csv => {
            let mut out = csv::Csv::new(&CSV_COLUMNS);
            for row in rows(r) {
                out.record(&[
                    row.section.to_string(),
                    row.name,
                    row.value.unwrap_or_default(),
                    row.count.to_string(),
                ]);
            }
            out.finish()
        }
    }
}

/// The CSV columns of `info` (docs/csv.md).
pub const CSV_COLUMNS: [&str; 4] = ["section", "name", "value", "count"];

/// One census row.
#[derive(Serialize)]
struct Row {
    section: &'static str,
    name: String,
    /// A value, for sections that count values; `None` is "absent" for
    /// deployment_action and "no value" elsewhere.
    value: Option<String>,
    count: u64,
}

fn rows(r: &InfoReport) -> Vec<Row> {
    let c = &r.census;
    let row = |section, name: &str, value: Option<&str>, count| Row {
        section,
        name: name.to_string(),
        value: value.map(str::to_string),
        count,
    };
    let mut out = Vec::new();
    for (k, n) in &c.by_kind {
        out.push(row("kind", k.as_str(), None, *n));
    }
    for (v, n) in &c.deployment_action {
        out.push(row(
            "deployment_action",
            "DeploymentAction",
            v.as_deref(),
            *n,
        ));
    }
    for (a, n) in &c.attributes {
        out.push(row("attribute", a, None, *n));
    }
    for ((a, v), n) in &c.values {
        out.push(row("attribute_value", a, Some(v), *n));
    }
    for (t, n) in &c.category_types {
        out.push(row("category_type", "Type", Some(t), *n));
    }
    for p in &r.products {
        out.push(row("product", &p.update_id, p.name.as_deref(), p.updates));
    }
    for p in &r.classifications {
        out.push(row(
            "classification",
            &p.update_id,
            p.name.as_deref(),
            p.updates,
        ));
    }
    let s = &r.supersedence;
    for (name, n) in [
        ("superseded_updates", s.superseded_updates),
        ("references", s.references),
        ("dangling", s.dangling),
        ("superseding_revisions", s.superseding_revisions),
    ] {
        out.push(row("supersedence", name, None, n));
    }
    out.push(row(
        "file_locations",
        "FileLocation",
        None,
        c.file_locations,
    ));
    for cab in &r.cabs {
        out.push(row(
            "cab",
            &cab.name,
            cab.range_start.map(|s| s.to_string()).as_deref(),
            cab.bytes.unwrap_or(0),
        ));
    }
    out
}

fn doc(r: &InfoReport) -> Doc<'_> {
    let c = &r.census;
    Doc {
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
    }
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
fn human(r: &InfoReport, style: Style) -> String {
    let mut out = super::check::identity_lines(&r.catalog, &r.signature, style);
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
