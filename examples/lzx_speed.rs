//! LZX decoding throughput: wsuscat's decoder against lzxd (with
//! `--features lzxd-compare`) and `cabextract -p`, on a ~20 MB
//! package.xml-like stream or on the LZX folders of given cabinets.
//!
//!     cargo run --release --example lzx_speed [--features lzxd-compare] -- [--mb N] [--only-wsuscat] [CAB...]
//!
//! The synthetic cabinet (LZX:21 through wsuscat's encoder) is cached in the
//! temp directory. Figures are MB/s of decoded output (10^6 bytes), best of
//! several runs; the decoders work from memory, cabextract from the file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wsuscat::cab::lzx::LzxDecoder;
use wsuscat::cab::Compression;
use wsuscat::commands::generate::{model, rng::Rng, xml, XmlStyle};

#[path = "../tests/it/common/lzx.rs"]
mod lzx_chunks;
use lzx_chunks::{lzx_folders, LzxFolder};

fn main() {
    let mut mb = 20usize;
    let mut cabs = Vec::new();
    let mut only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--mb" {
            mb = args.next().and_then(|v| v.parse().ok()).expect("--mb N");
        } else if a == "--only-wsuscat" {
            // For profiling: ten runs of wsuscat's decoder and nothing else.
            only = true;
        } else {
            cabs.push(PathBuf::from(a));
        }
    }
    if cabs.is_empty() {
        cabs.push(synthetic_cab(mb));
    }
    for cab in &cabs {
        measure(cab, only);
    }
}

/// A one-member LZX:21 cabinet of about `mb` MB of package.xml-like text.
fn synthetic_cab(mb: usize) -> PathBuf {
    let path = std::env::temp_dir().join(format!("wsuscat-lzx-speed-{mb}mb-own-encoder.cab"));
    if path.exists() {
        return path;
    }
    // About 835 bytes of package.xml per update.
    let updates = mb * 1_000_000 / 835;
    eprintln!("generating {updates} updates of XML and compressing them (cached)...");
    let mut rng = Rng::new(7);
    let truth = model::build(&mut rng, updates, &[], "2026-05-12T08:51:08Z");
    let xml = xml::package_xml(&truth, &mut rng, &XmlStyle::default());
    let t = Instant::now();
    let cab = wsuscat::commands::generate::single_member_cab(
        "package.xml",
        &xml,
        Compression::Lzx { window_bits: 21 },
    );
    eprintln!(
        "{} bytes of XML -> {} bytes of cabinet in {:.1} s",
        xml.len(),
        cab.len(),
        t.elapsed().as_secs_f64()
    );
    std::fs::write(&path, &cab).expect("write the cached cabinet");
    path
}

fn measure(path: &Path, only: bool) {
    let bytes = std::fs::read(path).expect("read cabinet");
    let folders = lzx_folders(&bytes);
    let total: usize = folders.iter().map(LzxFolder::output_len).sum();
    println!(
        "{}: {} LZX folder(s), {:.1} MB of output",
        path.display(),
        folders.len(),
        total as f64 / 1e6
    );
    if folders.is_empty() {
        return;
    }
    let runs = if total > 500_000_000 { 1 } else { 5 };
    let (best, digest) = best_of(if only { 10 } else { runs }, || decode_wsuscat(&folders));
    println!(
        "  wsuscat LzxDecoder   {:8.0} MB/s   digest {}",
        mbps(total, best),
        short(&digest)
    );
    if only {
        return;
    }
    #[cfg(feature = "lzxd-compare")]
    {
        let (best, d) = best_of(runs, || decode_lzxd(&folders));
        let same = if d == digest {
            "same output"
        } else {
            "OUTPUT DIFFERS"
        };
        println!(
            "  lzxd 0.2.7           {:8.0} MB/s   {same}",
            mbps(total, best)
        );
    }
    #[cfg(not(feature = "lzxd-compare"))]
    println!("  lzxd                 (build with --features lzxd-compare)");
    if let Some(best) = cabextract(path, runs) {
        println!(
            "  cabextract -p        {:8.0} MB/s   (whole cabinet, from the file)",
            mbps(total, best)
        );
    }
}

fn best_of(runs: usize, mut f: impl FnMut() -> Vec<u8>) -> (Duration, Vec<u8>) {
    let mut best = Duration::MAX;
    let mut digest = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        digest = f();
        best = best.min(t.elapsed());
    }
    (best, digest)
}

/// Decodes every folder; returns a digest over the output. The digest is
/// computed on sampled bytes so that hashing does not dominate the timing.
fn decode_wsuscat(folders: &[LzxFolder]) -> Vec<u8> {
    let mut h = Sha256::new();
    let mut out = Vec::with_capacity(32768);
    for f in folders {
        let mut d = LzxDecoder::new(f.window_bits).expect("window");
        for (input, len) in &f.blocks {
            if let Err(e) = d.decode_block(input, *len, &mut out) {
                println!("  wsuscat: {e}");
                break;
            }
            sample(&mut h, &out);
        }
    }
    h.finalize().to_vec()
}

#[cfg(feature = "lzxd-compare")]
fn decode_lzxd(folders: &[LzxFolder]) -> Vec<u8> {
    use lzxd::WindowSize::*;
    let mut h = Sha256::new();
    for f in folders {
        let w = [KB32, KB64, KB128, KB256, KB512, MB1, MB2][usize::from(f.window_bits - 15)];
        let mut d = lzxd::Lzxd::new(w);
        for (input, len) in &f.blocks {
            match d.decompress_next(input, *len) {
                Ok(out) => sample(&mut h, out),
                Err(e) => {
                    println!("  lzxd: {e}");
                    break;
                }
            }
        }
    }
    h.finalize().to_vec()
}

/// Hashes the block's length and every 61st byte.
fn sample(h: &mut Sha256, block: &[u8]) {
    h.update((block.len() as u32).to_le_bytes());
    let picked: Vec<u8> = block.iter().step_by(61).copied().collect();
    h.update(&picked);
}

fn cabextract(path: &Path, runs: usize) -> Option<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        let status = Command::new("cabextract")
            .arg("-q")
            .arg("-p")
            .arg(path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        best = best.min(t.elapsed());
    }
    Some(best)
}

fn mbps(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64()
}

fn short(d: &[u8]) -> String {
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}
