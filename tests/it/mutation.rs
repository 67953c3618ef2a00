//! Issue 12's differential mutation test.
//!
//! Signed: thousands of mutants of the signed fixture (bit flips at every
//! structural field, zeroed and saturated fields, random flips, truncations,
//! appends, inserts; `common::mutants`, fixed seed). `check` and `verify`,
//! run in-process with the test root as the only anchor, must refuse each
//! one as the binary's exit 3 (an `Err` whose kind is a catalog fault),
//! unless the mutant leaves every digested byte as it was and
//! `osslsigncode verify` accepts it too. Every disagreement with
//! osslsigncode must be on [`STRICTER`] or [`EXCEPTIONS`], both mirrored in
//! docs/signature.md.
//!
//! Unsigned: the same generator on the unsigned catalog, plus mutants of its
//! package.cab laid into a fresh outer cabinet, with `--allow-unsigned`: no
//! mutant whose package.xml (as `cabextract -p` extracts it, package.cab
//! first) differs from the original's may exit 0 or 1.
//!
//! In the signed fixture the members are LZX-compressed, so a nested
//! cabinet's header is reachable only through digested bytes (which the
//! signature refuses); the unsigned harness therefore also mutates
//! package.cab itself (every header field, CFFOLDER, CFFILE and CFDATA
//! header, random flips, truncations, appends, inserts) and lays each
//! mutant into a stored outer cabinet with valid checksums.
//!
//! Each harness prints its tally; `.ci/run` runs them with `--nocapture` and
//! shows the lines.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::mutants::{self, Mutant, Plan};
use crate::common::{have_tool, test_anchor, testdata};
use wsuscat::cab::Compression;
use wsuscat::{
    check, verify, CheckOptions, Profile, ScanOptions, SignaturePolicy, TrustOptions,
    VerifyOptions, DEFAULT_PROFILE,
};

/// Issue 12, in the year of the fixtures.
const SEED: u64 = 0x0012_2026;

/// Mutant classes that osslsigncode accepts and wsuscat refuses, with the
/// reason (docs/signature.md, "Where wsuscat is stricter"). A class that
/// disagrees this way and is not listed fails the test.
const STRICTER: &[(&str, &str)] = &[
    (
        "flip CFHEADER.iCabinet",
        "a lone signed cabinet must be number 0; the digest skips the field",
    ),
    (
        "saturate CFHEADER.iCabinet",
        "a lone signed cabinet must be number 0; the digest skips the field",
    ),
    (
        "flip PKCS#7 DER header in SignedData.digestAlgorithms",
        "strict DER: a SET or SEQUENCE without its constructed bit, or NULL \
         parameters retagged as an unknown universal type (0x07, 0x0D); \
         OpenSSL reads both",
    ),
    (
        "flip PKCS#7 DER header in SignedData.certificates",
        "strict DER: [0] certificates without its constructed bit",
    ),
    (
        "flip PKCS#7 DER header in SignedData.signerInfos",
        "strict DER: the signerInfos SET without its constructed bit",
    ),
    (
        "flip PKCS#7 DER header in SignerInfo.sid",
        "strict DER: the issuer's SEQUENCE or RDN SET without its constructed bit",
    ),
    (
        "flip PKCS#7 DER header in SignerInfo.digestAlgorithm",
        "strict DER: NULL parameters retagged as an unknown universal type",
    ),
    (
        "flip PKCS#7 DER header in SignerInfo.signatureAlgorithm",
        "strict DER: NULL parameters retagged as an unknown universal type; or \
         the OID's length grown over them, so the OID is not rsaEncryption \
         (OpenSSL takes the algorithm from the signer's key)",
    ),
    (
        "flip PKCS#7 DER header in SignerInfo.signedAttrs",
        "strict DER: [0] signedAttrs or an attribute's value SET without its \
         constructed bit",
    ),
    (
        "random flip in PKCS#7 DER content in SignerInfo.sid",
        "the signer's issuer name must match its certificate's byte for byte; \
         OpenSSL compares names case-insensitively (a flipped case bit)",
    ),
];

/// Mutant classes where the rules above do not hold, with the reason
/// (docs/signature.md). Matched on the class and the outcome: see
/// [`Verdict::label`].
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

/// What the binary would exit with, or the panic.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Exit {
    Code(i32, String),
    Panic(String),
}

impl Exit {
    fn code(&self) -> Option<i32> {
        match self {
            Exit::Code(c, _) => Some(*c),
            Exit::Panic(_) => None,
        }
    }

    fn accepted(&self) -> bool {
        matches!(self.code(), Some(0 | 1))
    }

    fn describe(&self) -> String {
        match self {
            Exit::Code(c, m) => format!("exit {c}{}{m}", if m.is_empty() { "" } else { ": " }),
            Exit::Panic(m) => format!("PANIC: {m}"),
        }
    }
}

fn exit_of<T>(r: std::thread::Result<wsuscat::Result<T>>, code: impl FnOnce(&T) -> i32) -> Exit {
    match r {
        Ok(Ok(report)) => Exit::Code(code(&report), String::new()),
        // exit_codes::for_error, the binary's only mapping.
        Ok(Err(e)) => Exit::Code(
            if e.kind().is_catalog_fault() { 3 } else { 2 },
            e.to_string().lines().next().unwrap_or("").to_string(),
        ),
        Err(p) => Exit::Panic(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        ),
    }
}

/// `wsuscat check` and `wsuscat verify`, in-process, one thread each.
struct Wsuscat {
    profiles: Vec<Profile>,
    trust: TrustOptions,
}

impl Wsuscat {
    fn new(policy: SignaturePolicy) -> Wsuscat {
        Wsuscat {
            profiles: vec![Profile::load(DEFAULT_PROFILE).unwrap()],
            trust: TrustOptions {
                policy,
                anchor_files: vec![test_anchor()],
                ..TrustOptions::default()
            },
        }
    }

    fn check(&self, path: &Path) -> Exit {
        let options = CheckOptions {
            profiles: self.profiles.clone(),
            trust: self.trust.clone(),
            scan: ScanOptions {
                threads: 1,
                ..ScanOptions::default()
            },
            ..CheckOptions::default()
        };
        let r = catch_unwind(AssertUnwindSafe(|| check(path, &options)));
        exit_of(r, |report| match report.verdict {
            wsuscat::Verdict::Compatible => 0,
            wsuscat::Verdict::Incompatible => 1,
        })
    }

    fn verify(&self, path: &Path) -> Exit {
        let options = VerifyOptions {
            trust: self.trust.clone(),
            threads: 1,
            progress: None,
        };
        let r = catch_unwind(AssertUnwindSafe(|| verify(path, &options)));
        exit_of(r, |_| 0)
    }
}

/// The bytes the CAB Authenticode digest covers, by the file's own header
/// (docs/signature.md: `[0, sig_offset)` but `[4, 8)` and `[34, 56)`), or
/// the whole file when its header names no Authenticode signature.
fn digested(b: &[u8]) -> Vec<u8> {
    let signed = b.len() >= 60
        && u16::from_le_bytes([b[30], b[31]]) & 4 != 0
        && b[36..38] == [20, 0]
        && b[40..44] == [0, 0, 0x10, 0];
    if !signed {
        return b.to_vec();
    }
    let sig = (u32::from_le_bytes(b[44..48].try_into().unwrap()) as usize).min(b.len());
    let mut v = b[..4].to_vec();
    v.extend_from_slice(&b[8..34]);
    if sig > 56 {
        v.extend_from_slice(&b[56..sig]);
    }
    v
}

/// `osslsigncode verify -CAfile <test root>`: exit 0.
fn osslsigncode_accepts(path: &Path) -> bool {
    Command::new("osslsigncode")
        .args(["verify", "-CAfile"])
        .arg(test_anchor())
        .arg("-in")
        .arg(path)
        .output()
        .expect("run osslsigncode")
        .status
        .success()
}

/// `cabextract -p -F <name>`: the member's bytes, or None when cabextract
/// fails or finds nothing.
fn cabextract_member(path: &Path, name: &str) -> Option<Vec<u8>> {
    let out = Command::new("cabextract")
        .args(["-q", "-p", "-F", name])
        .arg(path)
        .output()
        .expect("run cabextract");
    (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
}

/// package.xml as cabextract extracts it: package.cab from the catalog,
/// then package.xml from that.
fn cabextract_package_xml(path: &Path) -> Option<Vec<u8>> {
    let package_cab = cabextract_member(path, "package.cab")?;
    let inner = path.with_extension("package.cab");
    std::fs::write(&inner, package_cab).unwrap();
    let xml = cabextract_member(&inner, "package.xml");
    std::fs::remove_file(&inner).unwrap();
    xml
}

/// Runs `judge` on every mutant, written to a scratch file, on all cores;
/// results in mutant order.
fn run_all<T: Send>(mutants: &[Mutant], judge: impl Fn(&Mutant, &Path) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let scratch = crate::common::signature::scratch();
    let mut results: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (next, judge) = (&next, &judge);
                let path: PathBuf = scratch.path().join(format!("mutant-{w}.cab"));
                s.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(m) = mutants.get(i) else { break };
                        std::fs::write(&path, &m.bytes).unwrap();
                        out.push((i, judge(m, &path)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, t)| t).collect()
}

/// One mutant's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// check and verify both exit 3.
    Refused,
    /// Refused, though osslsigncode accepts it (same digested bytes).
    RefusedStricter,
    /// Accepted with every digested byte unchanged and osslsigncode
    /// agreeing (signed), or with package.xml unchanged (unsigned).
    AcceptedSame,
    /// Breaks the rule: the label says how.
    Fails(&'static str),
}

impl Verdict {
    fn label(&self) -> &'static str {
        match self {
            Verdict::Refused => "refused",
            Verdict::RefusedStricter => "refused, osslsigncode accepts",
            Verdict::AcceptedSame => "accepted",
            Verdict::Fails(how) => how,
        }
    }
}

struct Judged {
    verdict: Verdict,
    check: Exit,
    verify: Exit,
}

/// The signed harness's rule for one mutant.
fn judge_signed(w: &Wsuscat, orig_digested: &[u8], m: &Mutant, path: &Path) -> Judged {
    let (c, v) = (w.check(path), w.verify(path));
    let same = digested(&m.bytes) == orig_digested;
    let panicked = c.code().is_none() || v.code().is_none();
    let both_3 = c.code() == Some(3) && v.code() == Some(3);
    let verdict = if panicked {
        Verdict::Fails("panic")
    } else if both_3 {
        if same && osslsigncode_accepts(path) {
            Verdict::RefusedStricter
        } else {
            Verdict::Refused
        }
    } else if !c.accepted() && !v.accepted() {
        Verdict::Fails("refused, but not with exit 3")
    } else if !same {
        Verdict::Fails("accepted with digested bytes changed")
    } else if !osslsigncode_accepts(path) {
        Verdict::Fails("accepted, osslsigncode refuses")
    } else if c.code() != Some(3) && v.code() != Some(3) {
        Verdict::AcceptedSame
    } else {
        // One command accepted, the other refused: allowed by the rule,
        // since the digested bytes are intact and osslsigncode agrees.
        Verdict::AcceptedSame
    };
    Judged {
        verdict,
        check: c,
        verify: v,
    }
}

/// The unsigned harness's rule for one mutant: package.xml as cabextract
/// sees it decides whether 0 or 1 is allowed.
fn judge_unsigned(w: &Wsuscat, orig_xml: &[u8], path: &Path) -> Judged {
    let (c, v) = (w.check(path), w.verify(path));
    let verdict = if c.code().is_none() || v.code().is_none() {
        Verdict::Fails("panic")
    } else if !c.accepted() && !v.accepted() {
        Verdict::Refused
    } else if cabextract_package_xml(path).as_deref() == Some(orig_xml) {
        Verdict::AcceptedSame
    } else {
        Verdict::Fails("accepted, package.xml differs or does not extract")
    };
    Judged {
        verdict,
        check: c,
        verify: v,
    }
}

/// Tallies by verdict and, for the failures, by class; panics (after
/// printing) when a failure is not on [`EXCEPTIONS`] or a stricter class is
/// not on [`STRICTER`].
fn report(harness: &str, mutants: &[Mutant], judged: &[Judged]) {
    let mut by_class: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    let (mut refused, mut stricter, mut accepted, mut excepted, mut failed) = (0, 0, 0, 0, 0);
    let mut unlisted = Vec::new();
    for (i, (m, j)) in mutants.iter().zip(judged).enumerate() {
        match &j.verdict {
            Verdict::Refused => refused += 1,
            Verdict::AcceptedSame => {
                accepted += 1;
                by_class
                    .entry((&m.class, j.verdict.label()))
                    .or_default()
                    .push(i);
            }
            Verdict::RefusedStricter => {
                stricter += 1;
                if !STRICTER.iter().any(|(c, _)| *c == m.class) {
                    unlisted.push(i);
                }
                by_class
                    .entry((&m.class, j.verdict.label()))
                    .or_default()
                    .push(i);
            }
            Verdict::Fails(how) => {
                if EXCEPTIONS.iter().any(|(c, o, _)| *c == m.class && o == how) {
                    excepted += 1;
                } else {
                    failed += 1;
                    unlisted.push(i);
                }
                by_class.entry((&m.class, how)).or_default().push(i);
            }
        }
    }
    let oracle = if harness == "signed" {
        format!(" ({stricter} of them accepted by osslsigncode)")
    } else {
        String::new()
    };
    println!(
        "mutation({harness}): {} mutants, {} refused{oracle}, {accepted} accepted (allowed), \
         {excepted} documented exceptions, {failed} failures",
        mutants.len(),
        refused + stricter,
    );
    for ((class, how), idx) in &by_class {
        let j = &judged[idx[0]];
        println!(
            "mutation({harness}):   {:5} × {class}: {how}; e.g. {}: check {}; verify {}",
            idx.len(),
            mutants[idx[0]].what,
            j.check.describe(),
            j.verify.describe()
        );
        // WSUSCAT_MUTATION_LIST=1 lists every mutant of the group.
        if std::env::var_os("WSUSCAT_MUTATION_LIST").is_some_and(|v| v == "1") {
            for &i in &idx[1..] {
                let j = &judged[i];
                println!(
                    "mutation({harness}):           {}: check {}; verify {}",
                    mutants[i].what,
                    j.check.describe(),
                    j.verify.describe()
                );
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "mutation({harness}): {} mutants break the rule and are on no documented list (see the lines above)",
        unlisted.len()
    );
}

/// The signed fixture: both clean-wsusscn2.cab and sample-wsusscn2.cab are
/// signed with the test root; clean has two outer folders (more structure
/// to hit) and an MSZIP package.cab.
#[test]
fn signed_catalog_mutants_are_refused_unless_osslsigncode_accepts_the_same_digested_bytes() {
    if !have_tool("osslsigncode") {
        return;
    }
    let orig = std::fs::read(testdata("clean-wsusscn2.cab")).unwrap();
    let regions = mutants::regions(&orig);
    let plan = Plan {
        seed: SEED,
        structural_bits: 0xFF,
        der_bits: 0xFF,
        random_flips: 600,
        random_truncations: 100,
        random_inserts: 100,
    };
    let all = mutants::mutants(&orig, &regions, &plan);
    let w = Wsuscat::new(SignaturePolicy::Require);
    // The original passes, or the harness measures nothing.
    let (_d, p) = crate::common::temp_file("clean.cab", &orig);
    assert!(w.check(&p).accepted() && w.verify(&p).accepted());
    assert!(osslsigncode_accepts(&p));
    let orig_digested = digested(&orig);
    let judged = run_all(&all, |m, path| judge_signed(&w, &orig_digested, m, path));
    assert!(all.len() >= 2000, "{} mutants", all.len());
    report("signed", &all, &judged);
}

/// package.cab mutants, each laid (stored, with checksums) into an outer
/// cabinet with the catalog's other members, so that the bytes reach the
/// nested cabinet's reader intact.
fn nested_mutants(orig: &[u8], seed: u64) -> Vec<Mutant> {
    let members: Vec<(String, Vec<u8>)> = [
        "index.xml",
        "package.cab",
        "package2.cab",
        "package3.cab",
        "package4.cab",
    ]
    .iter()
    .map(|n| (n.to_string(), member(orig, n)))
    .collect();
    let package_cab = &members[1].1;
    let regions = mutants::regions(package_cab);
    let plan = Plan {
        seed,
        structural_bits: 0b1000_0011,
        der_bits: 0,
        random_flips: 300,
        random_truncations: 40,
        random_inserts: 40,
    };
    let mut out = vec![Mutant {
        class: "package.cab unchanged".into(),
        what: "package.cab unchanged, outer cabinet stored".into(),
        bytes: package_cab.clone(),
    }];
    out.extend(mutants::mutants(package_cab, &regions, &plan));
    for m in &mut out {
        let inner = &m.bytes;
        let mut b = wsuscat::cab::writer::CabBuilder::new();
        b.add_folder(Compression::None);
        for (name, bytes) in &members {
            b.add_file(name, if name == "package.cab" { inner } else { bytes });
        }
        m.bytes = b.finish();
        m.class = format!("package.cab: {}", m.class);
    }
    out
}

/// One member of a cabinet, read by the library.
fn member(cab: &[u8], name: &str) -> Vec<u8> {
    use std::io::Read;
    let c = wsuscat::cab::Cabinet::parse(&mut std::io::Cursor::new(cab)).unwrap();
    let f = c.find(name).unwrap().clone();
    let mut out = Vec::new();
    c.open_member(std::io::Cursor::new(cab), &f)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn unsigned_catalog_mutants_with_another_package_xml_never_exit_0_or_1() {
    if !have_tool("cabextract") {
        return;
    }
    let orig = std::fs::read(testdata("unsigned-wsusscn2.cab")).unwrap();
    let regions = mutants::regions(&orig);
    let plan = Plan {
        seed: SEED ^ 1,
        structural_bits: 0xFF,
        der_bits: 0,
        random_flips: 400,
        random_truncations: 60,
        random_inserts: 60,
    };
    let mut all = mutants::mutants(&orig, &regions, &plan);
    all.extend(nested_mutants(&orig, SEED ^ 2));
    let w = Wsuscat::new(SignaturePolicy::AllowUnsigned);
    let (_d, p) = crate::common::temp_file("unsigned.cab", &orig);
    assert!(w.check(&p).accepted() && w.verify(&p).accepted());
    let orig_xml = cabextract_package_xml(&p).expect("cabextract reads the fixture");
    let judged = run_all(&all, |_, path| judge_unsigned(&w, &orig_xml, path));
    assert!(all.len() >= 1000, "{} mutants", all.len());
    // The re-laid original is accepted, or the nested mutants test nothing.
    let i = all
        .iter()
        .position(|m| m.class == "package.cab: package.cab unchanged")
        .unwrap();
    assert_eq!(
        judged[i].verdict,
        Verdict::AcceptedSame,
        "{:?} {:?}",
        judged[i].check,
        judged[i].verify
    );
    report("unsigned", &all, &judged);
}
