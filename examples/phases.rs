//! Times the phases of a check separately (decompress, cut, parse).
use std::time::Instant;
use wsuscat::catalog::package::cutter::{Cut, Cutter};
use wsuscat::catalog::package::scan::{scan, Chunks, ScanOptions, Visitor};
use wsuscat::catalog::Catalog;
struct V;
impl Visitor for V {
    fn update(&mut self, _u: &wsuscat::catalog::update::Update) {}
}
fn main() {
    let p = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let c = Catalog::open(&p).unwrap();
    let t = Instant::now();
    let mut x = c.stream_package_xml().unwrap();
    let mut all = Vec::new();
    loop {
        let ch = Chunks::next_chunk(&mut x, 1 << 16).unwrap();
        if ch.is_empty() {
            break;
        }
        all.extend_from_slice(ch);
    }
    println!("decompress {} MB: {:?}", all.len() / 1000000, t.elapsed());
    let t = Instant::now();
    let mut cutter = Cutter::new(Default::default());
    let (mut start, mut n, mut end) = (0, 0, 0);
    while end < all.len() {
        end = (end + 65536).min(all.len());
        while let Cut::At(at) = cutter.scan(&all[start..end], 1 << 20, 0).unwrap() {
            cutter.rebase(at);
            start += at;
            n += 1;
        }
    }
    println!("cut {n} batches: {:?}", t.elapsed());
    for threads in [1usize, 2] {
        let t = Instant::now();
        let mut src: &[u8] = &all;
        let opts = ScanOptions {
            threads,
            ..Default::default()
        };
        let s = scan(&mut src, &opts, &|| V, None).unwrap();
        println!(
            "scan from memory threads={threads}: {} updates {:?}",
            s.document.updates,
            t.elapsed()
        );
    }
}
