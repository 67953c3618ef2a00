//! `wsuscat::Error` keeps its typed cause: a program can ask
//! `source()` for the `io::Error`, the quick-xml error or the signature's
//! own error, instead of parsing the message.

use std::error::Error as _;
use std::path::Path;

use wsuscat::commands::generate;
use wsuscat::commands::verify::{verify, VerifyOptions};
use wsuscat::trust::integrity::{SignaturePolicy, TrustOptions};

use crate::common::*;

fn verify_with(path: &Path, trust: TrustOptions) -> wsuscat::Error {
    let options = VerifyOptions {
        trust,
        threads: 2,
        progress: None,
    };
    verify(path, &options).expect_err("the catalog is refused")
}

/// The io::Error under `err`, which must be there.
fn io_source(err: &wsuscat::Error) -> &std::io::Error {
    err.source()
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .unwrap_or_else(|| panic!("source is the io::Error: {err:?}"))
}

#[test]
fn a_missing_file_keeps_its_io_error() {
    let missing = Path::new("/no/such/dir/wsusscn2.cab");
    let Err(err) = wsuscat::Catalog::open(missing) else {
        panic!("a missing file opens");
    };
    assert_eq!(err.kind(), wsuscat::ErrorKind::Io);
    assert_eq!(io_source(&err).kind(), std::io::ErrorKind::NotFound);
    // The commands open the file first for the size preflight.
    let err = wsuscat::check(missing, &wsuscat::CheckOptions::default())
        .expect_err("a missing file is checked");
    assert_eq!(err.kind(), wsuscat::ErrorKind::Io);
    assert_eq!(io_source(&err).kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn ill_formed_xml_keeps_the_quick_xml_error() {
    let (spec, package_cab) = small_catalog_parts(11, 40, 1);
    // The end tag does not match the start tag: quick-xml itself refuses it.
    let index = b"<INDEX><CABLIST><CAB NAME=\"package2.cab\" RANGESTART=\"0\"/></CABLISTX></INDEX>";
    let bytes = generate::assemble(&spec, index, &package_cab, &[]);
    let (_d, path) = temp_file("bad-index.cab", &bytes);
    let trust = TrustOptions {
        policy: SignaturePolicy::AllowUnsigned,
        ..TrustOptions::default()
    };
    let err = verify_with(&path, trust);
    assert_eq!(err.kind(), wsuscat::ErrorKind::Xml, "{err}");
    assert!(
        err.source()
            .is_some_and(|s| s.downcast_ref::<quick_xml::Error>().is_some()),
        "source is quick-xml's error: {err:?}"
    );
}

#[test]
fn a_modified_file_keeps_the_typed_signature_error() {
    let trust = TrustOptions {
        policy: SignaturePolicy::Require,
        anchor_files: vec![test_anchor()],
        ..TrustOptions::default()
    };
    let err = verify_with(&testdata("broken-flipped-byte.cab"), trust);
    assert_eq!(err.kind(), wsuscat::ErrorKind::Signature, "{err}");
    let typed = err
        .source()
        .and_then(|s| s.downcast_ref::<wsuscat::trust::signature::Error>())
        .unwrap_or_else(|| panic!("source is the signature error: {err:?}"));
    assert!(
        matches!(
            typed,
            wsuscat::trust::signature::Error::DigestMismatch { .. }
        ),
        "{typed:?}"
    );
}
