//! The `wsuscat` binary: parses arguments, calls the library, prints through
//! the report layer, and maps the outcome to an exit code.

mod cli;
mod exit_codes;
mod progress;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use wsuscat::baseline;
use wsuscat::cab::Compression;
use wsuscat::check::{check, CheckOptions};
use wsuscat::constraints::{self, Constraints};
use wsuscat::finding::Verdict;
use wsuscat::generator::{self, Spec, XmlStyle};
use wsuscat::integrity::{SignaturePolicy, TrustOptions};
use wsuscat::package::scan::ScanOptions;
use wsuscat::profile::{Profile, Severity, DEFAULT_PROFILE};
use wsuscat::report::{self, Format, Style};
use wsuscat::verify::{verify, VerifyOptions};
use wsuscat::{Error, ErrorKind};

use cli::{CheckArgs, Cli, ColorArg, Command, FormatArg, GenerateArgs, KindArg, ListFormatArg};
use wsuscat::info::{info, InfoOptions};
use wsuscat::list::{list, Filters, ListOptions};
use wsuscat::show::{show, ShowOptions, Target};
use wsuscat::update::Kind;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => run_check(args),
        Command::Info(args) => run_info(args),
        Command::List(args) => run_list(args),
        Command::Show(args) => run_show(args),
        Command::Profiles(args) => {
            let text = report::profiles(&Profile::built_in(), DEFAULT_PROFILE, format(args.format));
            print(&text)
        }
        Command::Generate(args) => run_generate(args),
        Command::Baseline(args) => run_baseline(args),
        Command::Diff(args) => run_diff(args),
        Command::Verify(args) => run_verify(args),
    };
    ExitCode::from(code as u8)
}

fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
    }
}

fn print(text: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => exit_codes::COMPATIBLE,
        // A closed pipe (`wsuscat … | head`) is the reader's choice, not an error
        // worth a message; anything else is an environment failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit_codes::USAGE,
        Err(e) => {
            eprintln!("wsuscat: error: cannot write the report: {e}");
            exit_codes::USAGE
        }
    }
}

fn fail(err: &Error, fmt: Format) -> i32 {
    eprint!("{}", report::error(err, Format::Human));
    if fmt == Format::Json {
        // Scripts reading stdout get a document too.
        let _ = std::io::stdout().write_all(report::error(err, Format::Json).as_bytes());
    }
    exit_codes::for_error(err.kind())
}

fn run_check(args: CheckArgs) -> i32 {
    let fmt = format(args.output.format);
    let names = if args.profiles.is_empty() {
        vec![DEFAULT_PROFILE.to_string()]
    } else {
        args.profiles.clone()
    };
    let mut profiles = Vec::new();
    for name in &names {
        match Profile::load(name) {
            Ok(p) => profiles.push(p),
            Err(e) => return fail(&e, fmt),
        }
    }
    let mut scan = ScanOptions::default();
    if let Some(t) = args.threads {
        scan.threads = usize::from(t);
    }
    scan.batch_size = args.batch_size as usize;
    let show_progress = !args.no_progress && !args.quiet && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| progress::Bar::new("package.xml"));
    let constraints = match constraints(&args) {
        Ok(c) => c,
        Err(e) => return fail(&e, fmt),
    };
    let options = CheckOptions {
        profiles,
        trust: trust_options(&args.trust, args.no_verify),
        scan,
        progress: bar
            .as_ref()
            .map(|b| b as &dyn wsuscat::check::CheckProgress),
        names: !args.names.no_names,
        lang: args.names.lang.clone(),
        constraints,
        learn: false,
    };
    match check(&args.cab, &options) {
        Ok(report) => {
            let code = match report.verdict {
                Verdict::Compatible => exit_codes::COMPATIBLE,
                Verdict::Incompatible => exit_codes::FINDINGS,
            };
            if !args.quiet {
                let style = Style {
                    color: use_color(args.output.color),
                };
                let written = print(&report::check(&report, fmt, style));
                if written != exit_codes::COMPATIBLE {
                    return written;
                }
            }
            code
        }
        Err(e) => fail(&e, fmt),
    }
}

fn constraints(args: &CheckArgs) -> Result<Constraints, Error> {
    let now = match &args.now {
        Some(t) => Some(constraints::unix_seconds(t).ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                format!("--now {t:?}: expected an RFC 3339 time"),
            )
        })?),
        None => None,
    };
    Ok(Constraints {
        wua_version: args
            .wua_version
            .as_deref()
            .map(Constraints::wua)
            .transpose()?,
        max_age_days: args.max_age,
        now,
    })
}

fn run_baseline(args: cli::BaselineArgs) -> i32 {
    let mut scan = ScanOptions::default();
    if let Some(t) = args.threads {
        scan.threads = usize::from(t);
    }
    let options = CheckOptions {
        profiles: Vec::new(),
        trust: trust_options(&args.trust, args.no_verify),
        scan,
        progress: None,
        names: false,
        lang: "en".to_string(),
        constraints: Constraints::default(),
        learn: true,
    };
    let report = match check(&args.cab, &options) {
        Ok(r) => r,
        Err(e) => return fail(&e, Format::Human),
    };
    let text = baseline::to_toml(
        &report,
        &baseline::BaselineOptions {
            name: args.name.clone(),
            severity: match args.severity {
                cli::SeverityArg::Breaks => Severity::Breaks,
                cli::SeverityArg::Warn => Severity::Warn,
            },
        },
    )
    .expect("a learning check collects the vocabulary");
    match &args.output {
        None => print(&text),
        Some(path) => match write_whole(path, text.as_bytes()) {
            Ok(()) => exit_codes::COMPATIBLE,
            Err(e) => fail(&e, Format::Human),
        },
    }
}

/// Writes through a temporary file in the same directory and renames it, so
/// a reader never sees half a file (a scheduled task may read the baseline
/// while the next one is written).
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let io =
        |e: std::io::Error| Error::new(ErrorKind::Io, format!("cannot write: {e}")).with_file(path);
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

fn run_verify(args: cli::VerifyArgs) -> i32 {
    let fmt = format(args.output.format);
    let show_progress = !args.no_progress && !args.quiet && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| progress::Bar::new("verify"));
    let options = VerifyOptions {
        trust: trust_options(&args.trust, false),
        threads: args
            .threads
            .map_or_else(|| ScanOptions::default().threads, usize::from),
        progress: bar
            .as_ref()
            .map(|b| b as &dyn wsuscat::verify::VerifyProgress),
    };
    match verify(&args.cab, &options) {
        Ok(report) => {
            if !args.quiet {
                let style = Style {
                    color: use_color(args.output.color),
                };
                return print(&report::verify(&report, fmt, style));
            }
            exit_codes::COMPATIBLE
        }
        Err(e) => fail(&e, fmt),
    }
}

fn scan_options(threads: Option<u16>) -> ScanOptions {
    let mut scan = ScanOptions::default();
    if let Some(t) = threads {
        scan.threads = usize::from(t);
    }
    scan
}

fn run_info(args: cli::InfoArgs) -> i32 {
    let fmt = format(args.output.format);
    let options = InfoOptions {
        trust: trust_options(&args.trust, args.no_verify),
        scan: scan_options(args.threads),
        names: !args.names.no_names,
        lang: args.names.lang.clone(),
    };
    match info(&args.cab, &options) {
        Ok(r) => print(&match fmt {
            Format::Json => report::info::json(&r),
            Format::Human => report::info::human(
                &r,
                Style {
                    color: use_color(args.output.color),
                },
            ),
        }),
        Err(e) => fail(&e, fmt),
    }
}

fn run_list(args: cli::ListArgs) -> i32 {
    let fmt = match args.format {
        ListFormatArg::Json => Format::Json,
        _ => Format::Human,
    };
    let filters = Filters {
        kb: args.kb.clone(),
        update_id: args.update_id.clone(),
        revision_id: args.revision_id,
        product: args.product.clone(),
        classification: args.classification.clone(),
        deployment_action: args.deployment_action.as_ref().map(|v| {
            if v.eq_ignore_ascii_case("absent") {
                None
            } else {
                Some(v.clone())
            }
        }),
        superseded: match (args.superseded, args.not_superseded) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        kind: args.kind.map(|k| match k {
            KindArg::Bundle => Kind::Bundle,
            KindArg::Child => Kind::Child,
            KindArg::Category => Kind::Category,
            KindArg::Other => Kind::Other,
        }),
    };
    let options = ListOptions {
        filters,
        lang: args.names.lang.clone(),
        names: !args.names.no_names,
        scan: scan_options(args.threads),
    };
    match list(&args.cab, &options) {
        Ok(r) => print(&match args.format {
            ListFormatArg::Table => report::list::human(&r),
            ListFormatArg::Json => report::list::json(&r),
            ListFormatArg::Csv => report::list::csv(&r),
        }),
        Err(e) => fail(&e, fmt),
    }
}

fn run_show(args: cli::ShowArgs) -> i32 {
    let fmt = format(args.output.format);
    let target = match Target::parse(&args.id) {
        Ok(t) => t,
        Err(e) => return fail(&e, fmt),
    };
    let options = ShowOptions {
        lang: args.lang.clone(),
        scan: scan_options(args.threads),
    };
    match show(&args.cab, &target, &options) {
        Ok(r) => print(&match fmt {
            Format::Json => report::show::json(&r),
            Format::Human => report::show::human(
                &r,
                Style {
                    color: use_color(args.output.color),
                },
            ),
        }),
        Err(e) => fail(&e, fmt),
    }
}

fn trust_options(args: &cli::TrustArgs, no_verify: bool) -> TrustOptions {
    TrustOptions {
        policy: if no_verify {
            SignaturePolicy::Skip
        } else if args.allow_unsigned {
            SignaturePolicy::AllowUnsigned
        } else {
            SignaturePolicy::Require
        },
        anchor_files: args.trust_anchors.clone(),
    }
}

fn use_color(choice: ColorArg) -> bool {
    match choice {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn parse_compression(s: &str) -> Result<Compression, Error> {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "none" | "stored" => Ok(Compression::None),
        "mszip" => Ok(Compression::MsZip),
        _ => lower
            .strip_prefix("lzx:")
            .and_then(|b| b.parse::<u8>().ok())
            .filter(|b| (15..=21).contains(b))
            .map(|window_bits| Compression::Lzx { window_bits })
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Usage,
                    format!("compression {s:?}: expected none, mszip or lzx:15 … lzx:21"),
                )
            }),
    }
}

fn run_generate(args: GenerateArgs) -> i32 {
    if let Some(dir) = &args.fixtures {
        return match generator::fixtures::write_all(dir) {
            Ok(lines) => print(&(lines.join("\n") + "\n")),
            Err(e) => fail(
                &Error::new(ErrorKind::Io, format!("cannot write fixtures: {e}")).with_file(dir),
                Format::Human,
            ),
        };
    }
    let spec = match build_spec(&args) {
        Ok(s) => s,
        Err(e) => return fail(&e, Format::Human),
    };
    let mut generated = generator::generate(&spec);
    if let Some(seed) = args.mutate {
        let n = spec.updates;
        let mutation = generator::mutate::MutateSpec {
            seed,
            add_bundles: (n / 200).max(1),
            remove_bundles: (n / 300).max(1),
            revise: (n / 100).max(1),
            supersede: (n / 300).max(1),
            deployment_action: Some(("OptionalInstall".into(), 5)),
            new_attribute: Some(("IsBeta".into(), "true".into(), 3)),
            new_child: Some(("Future".into(), 2)),
            nested_bundles: 1,
            add_product: Some("Windows 12".into()),
            minimum_client_version: Some("10.0.19041.1".into()),
            layout: spec.clone(),
            ..Default::default()
        };
        generated = generator::mutate::mutate(&generated, &mutation).generated;
    }
    let out = args
        .output
        .as_ref()
        .expect("clap requires --output without --fixtures");
    if let Err(e) = std::fs::write(out, &generated.cab) {
        return fail(
            &Error::new(ErrorKind::Io, format!("cannot write: {e}")).with_file(out),
            Format::Human,
        );
    }
    print(&format!(
        "{}: {} bytes, {} updates, package.xml {} bytes, {} shards\n",
        out.display(),
        generated.cab.len(),
        generated.truth.updates.len(),
        generated.truth.package_xml_len,
        generated.truth.shards.len()
    ))
}

fn run_diff(args: cli::DiffArgs) -> i32 {
    let fmt = match args.format {
        cli::DiffFormatArg::Json => Format::Json,
        _ => Format::Human,
    };
    let mut scan = ScanOptions::default();
    if let Some(t) = args.threads {
        scan.threads = usize::from(t);
    }
    match wsuscat::diff::diff(&args.old, &args.new, &wsuscat::diff::DiffOptions { scan }) {
        Ok(report) => {
            let text = match args.format {
                cli::DiffFormatArg::Csv => report::diff_csv(&report),
                _ => report::diff(
                    &report,
                    fmt,
                    Style {
                        color: use_color(args.color),
                    },
                    report::DiffHuman { top: args.top },
                ),
            };
            let written = print(&text);
            if written != exit_codes::COMPATIBLE {
                return written;
            }
            if report.differences() == 0 {
                exit_codes::SAME
            } else {
                exit_codes::DIFFERENT
            }
        }
        Err(e) => fail(&e, fmt),
    }
}

fn build_spec(args: &GenerateArgs) -> Result<Spec, Error> {
    let mut inject = Vec::new();
    for item in &args.inject {
        let (rev, value) = match item.split_once('=') {
            Some((r, v)) => (r, Some(v.to_string())),
            None => (item.as_str(), None),
        };
        let rev: u32 = rev.parse().map_err(|_| {
            Error::new(
                ErrorKind::Usage,
                format!("--inject {item:?}: expected REVISIONID=VALUE"),
            )
        })?;
        inject.push((rev, value));
    }
    Ok(Spec {
        seed: args.seed,
        updates: args.updates.max(1),
        shards: args.shards,
        outer: parse_compression(&args.outer)?,
        inner: parse_compression(&args.inner)?,
        package_cab_last: args.package_cab_last,
        outer_folders: args.outer_folders,
        inject,
        style: XmlStyle {
            namespace: !args.no_namespace,
            pretty: args.pretty,
            ..XmlStyle::default()
        },
        ..Spec::default()
    })
}
