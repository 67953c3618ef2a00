//! The fuzz targets' bodies, shared by the AFL binaries and by a replay
//! test that runs every saved input (crashes become regression inputs).

use std::io::Cursor;

use wsuscat::cab::Cabinet;
use wsuscat::catalog::package::scan::{scan, ScanOptions, Visitor};
use wsuscat::catalog::update::Update;

struct Count(u64);

impl Visitor for Count {
    fn update(&mut self, u: &Update) {
        self.0 += u.attributes().count() as u64;
    }
}

fn scan_xml(bytes: &[u8]) {
    let options = ScanOptions {
        threads: 1,
        batch_size: 4096,
        ..ScanOptions::default()
    };
    let mut source: &[u8] = bytes;
    let _ = scan(&mut source, &options, &|| Count(0), None);
}

/// The cab + XML pipeline: parse a cabinet, decode every member of every
/// folder, open every member that is itself a cabinet (one level, as
/// catalogs nest), and parse every member as package.xml.
pub fn cab_pipeline(data: &[u8]) {
    let Ok(cab) = Cabinet::parse(&mut Cursor::new(data)) else {
        // Not a cabinet: still exercise the XML side on the raw bytes.
        scan_xml(data);
        return;
    };
    let _ = cab.stream_all(
        || Ok(Cursor::new(data)),
        &mut |_| {},
        |_, member| {
            if member.starts_with(b"MSCF") {
                if let Ok(inner) = Cabinet::parse(&mut Cursor::new(&member[..])) {
                    let _ = inner.stream_all(
                        || Ok(Cursor::new(&member[..])),
                        &mut |_| {},
                        |_, m| {
                            scan_xml(&m);
                            Ok(())
                        },
                    );
                }
            } else {
                scan_xml(&member);
            }
            Ok(())
        },
    );
}

/// The signature parser and verifier on arbitrary bytes: as a whole signed
/// cabinet, and as a bare PKCS#7 blob.
pub fn signature(data: &[u8]) {
    use wsuscat::trust::signature::{verify, AuthenticodeSignature, TrustAnchors};
    let anchors = TrustAnchors::empty();
    let _ = verify(
        &mut Cursor::new(data),
        data.len() as u64,
        &anchors,
        std::time::SystemTime::UNIX_EPOCH,
    );
    if let Ok(sig) = AuthenticodeSignature::parse(data) {
        let _ = sig.verify(&[0u8; 32], &anchors, std::time::SystemTime::UNIX_EPOCH);
    }
}
