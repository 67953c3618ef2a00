//! LZX encoding speed and ratio: wsuscat's encoder (the one the generator
//! writes catalogs with) on package.xml-like text, against the lzxc crate
//! (optimal parsing, about 0.3 MB/s, so only on a prefix) and against
//! MSZIP as the writer makes it.
//!
//!     cargo run --release --example lzx_encode -- [--mb N] [--lzxc-mb N] [--window BITS]
//!
//! Figures: MB/s of input (10^6 bytes), best of three; ratio is input over
//! the cabinet's size.

use std::time::Instant;

use wsuscat::cab::Compression;
use wsuscat::commands::generate::{model, rng::Rng, single_member_cab, xml, XmlStyle};

fn main() {
    let (mut mb, mut lzxc_mb, mut window) = (40usize, 2usize, 21u8);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().and_then(|v| v.parse().ok()).expect("a number");
        match a.as_str() {
            "--mb" => mb = value(),
            "--lzxc-mb" => lzxc_mb = value(),
            "--window" => window = value() as u8,
            _ => panic!("unknown argument {a}"),
        }
    }
    // About 835 bytes of package.xml per update.
    let updates = mb * 1_000_000 / 835;
    let mut rng = Rng::new(7);
    let truth = model::build(&mut rng, updates, &[], "2026-05-12T08:51:08Z");
    let text = xml::package_xml(&truth, &mut rng, &XmlStyle::default());
    println!("package.xml-like text: {:.1} MB", text.len() as f64 / 1e6);
    let lzx = Compression::Lzx {
        window_bits: window,
    };
    measure("wsuscat LZX", &text, lzx, 3);
    if lzxc_mb == 0 {
        return;
    }
    measure("MSZIP (flate2 level 6)", &text, Compression::MsZip, 3);
    let prefix = &text[..(lzxc_mb * 1_000_000).min(text.len())];
    println!("on the first {:.1} MB:", prefix.len() as f64 / 1e6);
    measure("wsuscat LZX", prefix, lzx, 3);
    let t = Instant::now();
    let mut enc = lzxc::Encoder::new(match window {
        15 => lzxc::WindowSize::KB32,
        16 => lzxc::WindowSize::KB64,
        17 => lzxc::WindowSize::KB128,
        18 => lzxc::WindowSize::KB256,
        19 => lzxc::WindowSize::KB512,
        20 => lzxc::WindowSize::MB1,
        _ => lzxc::WindowSize::MB2,
    });
    let size: usize = prefix
        .chunks(32768)
        .map(|c| enc.encode_chunk(c).len() + 8)
        .sum();
    report(
        "lzxc 0.2 (optimal)",
        prefix.len(),
        size,
        t.elapsed().as_secs_f64(),
    );
}

fn measure(name: &str, text: &[u8], compression: Compression, runs: usize) {
    let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
    let mut size = 0;
    for _ in 0..runs {
        let (t, cpu) = (Instant::now(), cpu_seconds());
        size = single_member_cab("package.xml", text, compression).len();
        best = best.min(t.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_seconds() - cpu);
    }
    report(name, text.len(), size, best);
    println!(
        "  {:<24} {:7.1} MB/s of CPU time (the machine is shared: wall time varies)",
        "",
        text.len() as f64 / 1e6 / best_cpu
    );
}

/// This thread's CPU time (Linux: /proc/thread-self/schedstat, in ns),
/// or 0 where that file does not exist.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

fn report(name: &str, input: usize, output: usize, secs: f64) {
    println!(
        "  {name:<24} {:7.1} MB/s   {:>11} bytes   ratio {:5.2}:1",
        input as f64 / 1e6 / secs,
        output,
        input as f64 / output as f64
    );
}
