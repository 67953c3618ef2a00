//! The `cab` crate as a second reference: wherever it reads a cabinet
//! without panicking or failing, wsuscat's reader gives the same members;
//! and cabinets written by its builder read back through wsuscat.

use std::io::{Cursor, Read, Write};

use crate::common::*;
use wsuscat::cab::Cabinet;

fn with_cab_crate(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let result = std::panic::catch_unwind(|| {
        let mut cab = cab::Cabinet::new(Cursor::new(bytes)).ok()?;
        let names: Vec<String> = cab
            .folder_entries()
            .flat_map(|f| {
                f.file_entries()
                    .map(|e| e.name().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut out = Vec::new();
        for name in names {
            let mut data = Vec::new();
            cab.read_file(&name).ok()?.read_to_end(&mut data).ok()?;
            out.push((name, data));
        }
        Some(out)
    });
    result.ok().flatten()
}

fn with_wsuscat(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let cab = Cabinet::parse(&mut Cursor::new(bytes)).ok()?;
    let mut out = Vec::new();
    cab.stream_members(
        || Ok(Cursor::new(bytes)),
        |_| true,
        |f, data| {
            out.push((f.name.clone(), data));
            Ok(())
        },
    )
    .ok()?;
    Some(out)
}

#[test]
fn wherever_the_cab_crate_reads_a_corpus_file_wsuscat_reads_the_same_bytes() {
    let Some(dir) = corpus() else { return };
    // The cab crate's panics are expected on some damaged files; keep them
    // off the test output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // The cab crate decodes LZX with lzxd, which translates an E8 operand of
    // 0 wrongly; on these cabextract agrees with wsuscat (tests/corpus.rs).
    let cab_crate_wrong = [
        "generated/e8zero-lzx15.cab",
        "libarchive/test_read_format_cab_lzx_e8.cab",
    ];
    let mut compared = 0;
    let mut problems = Vec::new();
    for path in files_with_ext(&dir, "cab") {
        let rel = path.strip_prefix(&dir).unwrap().display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let Some(mut theirs) = with_cab_crate(&bytes) else {
            continue;
        };
        let ours = with_wsuscat(&bytes);
        match ours {
            Some(mut ours) => {
                // Member order: both by folder; sort to compare as sets.
                ours.sort();
                theirs.sort();
                let same = ours
                    .iter()
                    .map(|(_, d)| d)
                    .eq(theirs.iter().map(|(_, d)| d));
                if cab_crate_wrong.contains(&rel.as_str()) {
                    if same {
                        problems.push(format!(
                            "{rel}: the cab crate now agrees; drop it from the list"
                        ));
                    }
                } else if !same {
                    problems.push(format!("{rel}: bytes differ from the cab crate"));
                }
                compared += 1;
            }
            None => {
                // Where the cab crate is known to be lax (see crates-notes),
                // cabextract sides with wsuscat: tests/corpus.rs checks that.
                let lax = [
                    "test_read_format_cab_lzx_invalid_history.cab",
                    "filename-read-violation-1.cab",
                    "bad_nofiles.cab",
                ];
                if !lax.iter().any(|n| rel.ends_with(n)) {
                    problems.push(format!("{rel}: the cab crate reads it, wsuscat does not"));
                }
            }
        }
    }
    std::panic::set_hook(hook);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared > 50, "only {compared} files compared");
}

#[test]
fn cabinets_from_the_cab_crate_builder_read_back() {
    let members: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| {
            (
                format!("x\\{i}"),
                format!("<ExtendedProperties><KBArticleID>{i}</KBArticleID></ExtendedProperties>")
                    .repeat(i * 37 + 1)
                    .into_bytes(),
            )
        })
        .collect();
    for ctype in [cab::CompressionType::None, cab::CompressionType::MsZip] {
        let mut builder = cab::CabinetBuilder::new();
        let folder = builder.add_folder(ctype);
        for (name, _) in &members {
            folder.add_file(name.as_str());
        }
        let mut writer = builder.build(Cursor::new(Vec::new())).unwrap();
        let mut i = 0;
        while let Some(mut w) = writer.next_file().unwrap() {
            w.write_all(&members[i].1).unwrap();
            i += 1;
        }
        let bytes = writer.finish().unwrap().into_inner();
        let ours = with_wsuscat(&bytes).expect("wsuscat reads the cab crate's cabinet");
        assert_eq!(ours, members, "{ctype:?}");
    }
}
