//! The `wsuscat` binary: parses arguments, calls the library, prints through
//! the report layer, and maps the outcome to an exit code.

mod cli;
mod completions;
mod event_log;
mod exit_codes;
mod install;
mod log;
mod output;
mod progress;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
// The generator is an internal of the library (for fixtures and
// benchmarks); everything else is its public API.
use wsuscat::cab::Compression;
use wsuscat::commands::generate::{self, Spec, XmlStyle};
use wsuscat::report::{self, cmtrace, Format, Style};
use wsuscat::{
    baseline_toml, check, verify, BaselineOptions, CheckOptions, Constraints, Error, ErrorKind,
    Profile, ScanOptions, Severity, SignatureError, SignaturePolicy, TrustOptions, Verdict,
    VerifyOptions, DEFAULT_PROFILE,
};

use cli::{
    CheckArgs, Cli, ColorArg, Command, FormatArg, GenerateArgs, KindArg, ManArgs, OutputArgs,
    VolumeArg,
};
use log::Log;
use wsuscat::{info, list, show, Filters, InfoOptions, Kind, ListOptions, ShowOptions, Target};

fn main() -> ExitCode {
    output::install_interrupt_handler();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => run_check(args),
        Command::Install(args) => install::run(args),
        Command::Info(args) => run_info(args),
        Command::List(args) => run_list(args),
        Command::Show(args) => run_show(args),
        Command::Profiles(args) => {
            let text = report::profiles(
                &Profile::built_in(),
                DEFAULT_PROFILE,
                format(args.output.format),
            );
            emit(&text, &args.output)
        }
        Command::Generate(args) => run_generate(args),
        Command::Baseline(args) => run_baseline(args),
        Command::Diff(args) => run_diff(args),
        Command::Verify(args) => run_verify(args),
        Command::Fetch(args) => run_fetch(args),
        Command::Completions(args) => print(&completions::script(args.shell)),
        Command::Man(args) => run_man(&args),
        Command::EventLog(args) => match args.action {
            cli::EventLogAction::Install => event_log::install(),
            cli::EventLogAction::Uninstall => event_log::uninstall(),
        }
        .map_or_else(|e| fail_plain(&e), |done| print(&done)),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
}

fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv => Format::Csv,
    }
}

/// An error about an option's value, named by the option: only the binary
/// knows which option carried it.
fn flag_error(flag: &str, err: Error) -> Error {
    let message = format!("{flag}: {}", err.message());
    err.with_message(message)
}

/// The library's error with the advice only the binary can give: which
/// option to use. The library's sentence says what is wrong; this adds
/// what to type.
fn advise(err: &Error) -> Error {
    use std::error::Error as _;
    let unsigned = err
        .source()
        .and_then(|s| s.downcast_ref::<SignatureError>())
        .is_some_and(|s| matches!(s, SignatureError::Unsigned));
    if unsigned && err.kind() == ErrorKind::Signature {
        let message = format!(
            "{}; use --allow-unsigned to accept one that is not",
            err.message()
        );
        return err.clone().with_message(message);
    }
    err.clone()
}

/// A diagnostic on stderr, rendered by the report layer.
fn diagnose(err: &Error) {
    eprint!("{}", report::error(err, Format::Human));
}

fn print(text: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    printed(out.write_all(text.as_bytes()).and_then(|_| out.flush()))
}

/// The exit code for a report's write to stdout.
fn printed(result: std::io::Result<()>) -> i32 {
    match result {
        Ok(()) => exit_codes::COMPATIBLE,
        // A closed pipe (`wsuscat … | head`) is the reader's choice, not an error
        // worth a message: the run ends quietly with the exit code it would
        // have had (docs/exit-codes.md). Anything else is an environment failure.
        Err(e) if reader_gone(&e) => exit_codes::COMPATIBLE,
        Err(e) => {
            diagnose(&Error::new(
                ErrorKind::Io,
                format!("cannot write the report: {e}"),
            ));
            exit_codes::USAGE
        }
    }
}

/// Whether a write to stdout failed because its reader went away. Unix
/// says EPIPE; Windows says ERROR_BROKEN_PIPE (109) or ERROR_NO_DATA (232),
/// which std calls a broken pipe too, or ERROR_PIPE_NOT_CONNECTED (233),
/// which it does not (Wine gives that one for a pipe whose reader closed).
fn reader_gone(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe || (cfg!(windows) && e.raw_os_error() == Some(233))
}

/// Sends a rendered report where `out` says: atomically to `--output`, or
/// to stdout unless `--quiet`. Returns 0 when it was written (or nothing
/// was to be written), else the exit code for the failure. Every command's
/// report leaves the process through here.
fn emit(text: &str, out: &OutputArgs) -> i32 {
    emit_logged(text, out, &Log::disabled())
}

/// [`emit`], with a failure to write `--output` also in the log.
fn emit_logged(text: &str, out: &OutputArgs, log: &Log) -> i32 {
    match &out.output {
        Some(path) => written(
            path,
            output::write_atomically_with(path, bom(out), &|w| w.write_all(text.as_bytes())),
            log,
        ),
        None if out.quiet => exit_codes::COMPATIBLE,
        None => print(text),
    }
}

/// What a report written to an `--output` file starts with: a UTF-8 byte
/// order mark for CSV, nothing otherwise (and nothing on a device). Excel opens a CSV without one in the
/// machine's ANSI code page, so every non-ASCII title turns to mojibake;
/// with it, Excel, Windows PowerShell 5.1's `Import-Csv` and Python's
/// `utf-8-sig` all read UTF-8. The same on every platform, because a report
/// made on Linux is opened on Windows. Never on stdout (a pipeline's next
/// program may not expect one), and never in JSON (RFC 8259 forbids it).
fn bom(out: &OutputArgs) -> &'static [u8] {
    if out.format == FormatArg::Csv {
        b"\xEF\xBB\xBF"
    } else {
        b""
    }
}

/// [`emit`] for a report that `write` writes as it is made, so that it is
/// never whole in memory; a failure to write `--output` is also logged.
fn emit_streamed_logged(
    write: &dyn Fn(&mut dyn Write) -> std::io::Result<()>,
    out: &OutputArgs,
    log: &Log,
) -> i32 {
    match &out.output {
        Some(path) => written(
            path,
            output::write_atomically_with(path, bom(out), write),
            log,
        ),
        None if out.quiet => exit_codes::COMPATIBLE,
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            printed(write(&mut w).and_then(|()| w.flush()))
        }
    }
}

/// The exit code for a report's write to `--output`.
fn written(path: &std::path::Path, result: std::io::Result<()>, log: &Log) -> i32 {
    match result {
        Ok(()) => exit_codes::COMPATIBLE,
        Err(e) => {
            let err =
                Error::new(ErrorKind::Io, format!("cannot write the report: {e}")).with_file(path);
            diagnose(&err);
            log.write(&[cmtrace::error(&err)]);
            exit_codes::USAGE
        }
    }
}

/// An error that ends the run: one line on stderr, an entry in the log, and
/// for json and jsonl an error document where the report would have gone,
/// so that a script reading the report gets one. Returns the exit code.
fn fail(err: &Error, out: &OutputArgs, log: &Log) -> i32 {
    let err = &advise(err);
    diagnose(err);
    log.write(&[cmtrace::error(err)]);
    if let Some(doc) = report::error_document(err, format(out.format)) {
        // Its own failure was reported; the error's code says more.
        let _ = emit(&doc, out);
    }
    exit_codes::for_error(err.kind())
}

fn style(out: &OutputArgs) -> Style {
    let color = match out.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        // A file is not a terminal, whatever stdout is.
        ColorArg::Auto => {
            out.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    Style { color }
}

/// What a logged run is: the command's name and the catalogs it reads,
/// for the `--event-log` entry.
type Subject<'a> = (&'static str, &'a [&'a std::path::Path]);

/// Opens the log, runs the command, and logs its exit code.
fn logged(
    subject: Subject,
    out: &OutputArgs,
    args: &cli::LogArgs,
    run: impl FnOnce(&Log) -> i32,
) -> i32 {
    logged_meaning(subject, out, args, exit_codes::meaning, run)
}

/// [`logged`], with the command's own words for its exit codes. With
/// `--event-log`, the run also ends with an event log entry (refused
/// before any work where there is no event log).
fn logged_meaning(
    (command, catalogs): Subject,
    out: &OutputArgs,
    args: &cli::LogArgs,
    meaning: fn(i32) -> &'static str,
    run: impl FnOnce(&Log) -> i32,
) -> i32 {
    if args.event_log {
        if let Err(e) = event_log::available("--event-log") {
            return fail(&e, out, &Log::disabled());
        }
        event_log::begin(command, catalogs);
    }
    let (log, code) = match Log::open(args) {
        Ok(log) => {
            let code = run(&log);
            (log, code)
        }
        Err(e) => (Log::disabled(), fail(&e, out, &Log::disabled())),
    };
    // Never the run's outcome: a failed entry is a warning, the code stays.
    if let Err(e) = event_log::finish(code, meaning(code)) {
        event_log::warn(&e);
        log.write(&[cmtrace::Entry {
            level: cmtrace::Level::Warning,
            message: format!("warning: {}", e.message()),
        }]);
    }
    log.exit_meaning(code, meaning(code))
}

fn run_check(args: CheckArgs) -> i32 {
    logged(("check", &[&args.cab]), &args.output, &args.log, |log| {
        check_logged(&args, log)
    })
}

fn check_logged(args: &CheckArgs, log: &Log) -> i32 {
    let fmt = format(args.output.format);
    let profiles = match Profile::judges(&args.rules.profiles, &args.rules.baselines) {
        Ok(p) => p,
        Err(e) => return fail(&e, &args.output, log),
    };
    let mut scan = ScanOptions::default();
    if let Some(t) = args.threads {
        scan.threads = usize::from(t);
    }
    scan.batch_size = args.batch_size as usize;
    let show_progress = !args.no_progress && !args.output.quiet && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| progress::Bar::new("package.xml"));
    let constraints = match constraints(&args.rules) {
        Ok(c) => c,
        Err(e) => return fail(&e, &args.output, log),
    };
    let options = CheckOptions {
        profiles,
        trust: TrustOptions {
            file_sha256: args.sha256,
            ..signature_options(&args.signature)
        },
        scan,
        progress: bar.as_ref().map(|b| b as &dyn wsuscat::CheckProgress),
        names: !args.names.no_names,
        lang: args.names.lang.clone(),
        constraints,
        learn: false,
    };
    match check(&args.cab, &options) {
        Ok(report) => {
            log.write(&cmtrace::check(&report));
            let code = match report.verdict {
                Verdict::Compatible => exit_codes::COMPATIBLE,
                Verdict::Incompatible => exit_codes::FINDINGS,
            };
            let human = report::CheckHuman { all: args.all };
            let written = emit_streamed_logged(
                &|w| report::write_check(&report, fmt, style(&args.output), human, w),
                &args.output,
                log,
            );
            if written != exit_codes::COMPATIBLE {
                return written;
            }
            code
        }
        Err(e) => fail(&e, &args.output, log),
    }
}

fn constraints(args: &cli::RulesArgs) -> Result<Constraints, Error> {
    let now = match &args.now {
        Some(t) => Some(wsuscat::unix_seconds(t).ok_or_else(|| {
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
            .map(|v| Constraints::wua(v).map_err(|e| flag_error("--wua-version", e)))
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
    // The catalog being learned is judged too: a baseline learned from an
    // incompatible catalog accepts what broke, and must say so.
    let profiles = match Profile::judges(&args.profiles, &[] as &[std::path::PathBuf]) {
        Ok(p) => p,
        Err(e) => return fail_plain(&e),
    };
    let options = CheckOptions {
        profiles,
        // The baseline's [source] names the file it was learned from by
        // its SHA-256, which an admin can compare with Get-FileHash.
        trust: TrustOptions {
            file_sha256: true,
            ..signature_options(&args.signature)
        },
        scan,
        progress: None,
        names: false,
        lang: "en".to_string(),
        constraints: Constraints::default(),
        learn: true,
    };
    let report = match check(&args.cab, &options) {
        Ok(r) => r,
        Err(e) => return fail_plain(&e),
    };
    let vocabulary = report
        .vocabulary
        .as_ref()
        .expect("a learning check collects the vocabulary");
    let warnings = incompatible_source(&report);
    for w in &warnings {
        eprintln!("wsuscat: warning: {w}");
    }
    let text = baseline_toml(
        vocabulary,
        &report.catalog,
        &BaselineOptions {
            warnings,
            name: args.name.clone(),
            severity: match args.severity {
                cli::SeverityArg::Breaks => Severity::Breaks,
                cli::SeverityArg::Warn => Severity::Warn,
            },
        },
    );
    match &args.output {
        None => print(&text),
        // A scheduled task may read the baseline while the next is written.
        Some(path) => match output::write_atomically(path, text.as_bytes()) {
            Ok(()) => exit_codes::COMPATIBLE,
            Err(e) => {
                fail_plain(&Error::new(ErrorKind::Io, format!("cannot write: {e}")).with_file(path))
            }
        },
    }
}

/// What `baseline` warns of when the profiles judging the catalog it
/// learns from find it incompatible: nothing when they find it compatible.
fn incompatible_source(report: &wsuscat::CheckReport) -> Vec<String> {
    if report.verdict == Verdict::Compatible {
        return Vec::new();
    }
    let names: Vec<&str> = report.profiles.iter().map(|p| p.name.as_str()).collect();
    let breaking = report.breaking();
    vec![
        format!(
            "this catalog is INCOMPATIBLE with {} ({breaking} breaking finding{}): this baseline accepts what breaks it.",
            names.join(", "),
            if breaking == 1 { "" } else { "s" }
        ),
        "`check --baseline` still judges with the profiles, but learn a baseline from a catalog that synced fine.".to_string(),
    ]
}

/// An error for a command without report formats: one line on stderr.
fn fail_plain(err: &Error) -> i32 {
    let err = &advise(err);
    diagnose(err);
    exit_codes::for_error(err.kind())
}

fn run_verify(args: cli::VerifyArgs) -> i32 {
    logged(("verify", &[&args.cab]), &args.output, &args.log, |log| {
        verify_logged(&args, log)
    })
}

fn verify_logged(args: &cli::VerifyArgs, log: &Log) -> i32 {
    let fmt = format(args.output.format);
    let show_progress = !args.no_progress && !args.output.quiet && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| progress::Bar::new("verify"));
    let options = VerifyOptions {
        trust: trust_options(&args.trust, false),
        threads: args
            .threads
            .map_or_else(|| ScanOptions::default().threads, usize::from),
        progress: bar.as_ref().map(|b| b as &dyn wsuscat::VerifyProgress),
    };
    match verify(&args.cab, &options) {
        Ok(report) => {
            log.write(&cmtrace::verify(&report));
            emit_logged(
                &report::verify(&report, fmt, style(&args.output)),
                &args.output,
                log,
            )
        }
        Err(e) => fail(&e, &args.output, log),
    }
}

fn run_fetch(args: cli::FetchArgs) -> i32 {
    logged_meaning(
        ("fetch", &[&args.catalog]),
        &args.output,
        &args.log,
        exit_codes::fetch_meaning,
        |log| fetch_logged(&args, log),
    )
}

/// The fetch options the command line asks for.
fn fetch_options(args: &cli::FetchArgs) -> wsuscat::FetchOptions {
    use std::time::Duration;
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| wsuscat::DEFAULT_URL.to_string());
    let mut options = wsuscat::FetchOptions::new(url, args.catalog.clone());
    options.connect_timeout = Duration::from_secs(args.connect_timeout);
    options.read_timeout = Duration::from_secs(args.timeout);
    options.retries = args.retries;
    options.retry_wait = Duration::from_secs(args.retry_wait);
    options.max_redirects = args.max_redirects;
    options.tls_ca = args.tls_ca.clone();
    options
}

fn fetch_logged(args: &cli::FetchArgs, log: &Log) -> i32 {
    let fmt = format(args.output.format);
    let trust = trust_options(&args.trust, false);
    // A bad --trust-anchor is found before anything is downloaded.
    if let Err(e) = trust.anchors() {
        return fail(&e, &args.output, log);
    }
    let show_progress =
        !args.gate.no_progress && !args.output.quiet && std::io::stderr().is_terminal();
    let watch = progress::FetchWatch::new(show_progress, |e| log.write(&[cmtrace::fetch_event(e)]));
    let threads = args
        .gate
        .threads
        .map_or_else(|| ScanOptions::default().threads, usize::from);
    // The gate between the download and FILE: what `verify` proves.
    let mut gate = |path: &std::path::Path| {
        let bar = show_progress.then(|| progress::Bar::new("verify"));
        let options = VerifyOptions {
            trust: trust_options(&args.trust, false),
            threads,
            progress: bar.as_ref().map(|b| b as &dyn wsuscat::VerifyProgress),
        };
        verify(path, &options)
    };
    match wsuscat::fetch(&fetch_options(args), &watch, &mut gate) {
        Ok(fetched) => {
            if let Some(v) = &fetched.verified {
                log.write(&cmtrace::verify(v));
            }
            log.write(&cmtrace::fetch(&fetched.report));
            if let Some(to) = &args.install_to {
                return install_fetched(args, &fetched.report, to, log);
            }
            let text = report::fetch(
                &fetched.report,
                fetched.verified.as_ref(),
                fmt,
                style(&args.output),
            );
            emit_logged(&text, &args.output, log)
        }
        Err(e) => fail(&e, &args.output, log),
    }
}

/// `fetch --install-to TARGET`: FILE, verified (fetched or unchanged), goes
/// through install's gate, whose report and exit code are the run's (the
/// fetch's own result is in the log). Unchanged, and TARGET already has
/// FILE's bytes (an earlier run installed it), there is nothing to install:
/// exit 0. Unchanged but TARGET is something else (the last install was
/// refused, or TARGET was replaced by hand) installs again, so a refused
/// catalog keeps failing every run until a new one passes.
fn install_fetched(
    args: &cli::FetchArgs,
    fetched: &wsuscat::FetchReport,
    to: &std::path::Path,
    log: &Log,
) -> i32 {
    if fetched.status == wsuscat::FetchStatus::Unchanged {
        let same = wsuscat::commands::fetch::state::size_and_sha256(to)
            .is_ok_and(|(size, sha)| size == fetched.size && sha == fetched.sha256);
        if same {
            let msg = format!(
                "unchanged: {} already is this catalog (SHA-256 {}); nothing to install",
                to.display(),
                fetched.sha256
            );
            log.write(&[cmtrace::Entry {
                level: cmtrace::Level::Info,
                message: msg,
            }]);
            let text = report::fetch(
                fetched,
                None,
                format(args.output.format),
                style(&args.output),
            );
            return emit_logged(&text, &args.output, log);
        }
    }
    install::install_file(
        &args.catalog,
        to,
        &args.gate,
        &args.trust,
        &args.output,
        log,
    )
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
        trust: TrustOptions {
            file_sha256: args.sha256,
            ..signature_options(&args.signature)
        },
        scan: scan_options(args.threads),
        names: !args.names.no_names,
        lang: args.names.lang.clone(),
    };
    match info(&args.cab, &options) {
        Ok(r) => emit(
            &report::info::info(&r, fmt, style(&args.output)),
            &args.output,
        ),
        Err(e) => fail(&e, &args.output, &Log::disabled()),
    }
}

fn run_list(args: cli::ListArgs) -> i32 {
    let fmt = format(args.output.format);
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
        trust: signature_options(&args.signature),
    };
    match list(&args.cab, &options) {
        Ok(r) => {
            // The rows are named as they are written: a damaged shard shows
            // only then, and is the catalog's fault (exit 3), not a failed
            // write. With --quiet they are still made, so that it shows.
            let code = if args.output.quiet && args.output.output.is_none() {
                match report::list::write(&r, fmt, &mut std::io::sink()) {
                    Err(_) if r.failed() => exit_codes::CATALOG,
                    result => printed(result),
                }
            } else {
                emit_streamed_until_failure(
                    &|w| report::list::write(&r, fmt, w),
                    &args.output,
                    &|| r.failed(),
                )
            };
            match r.take_failure() {
                Some(e) => fail(&e, &args.output, &Log::disabled()),
                None => code,
            }
        }
        Err(e) => fail(&e, &args.output, &Log::disabled()),
    }
}

/// Writes a report made as it is written (`list`) where `out` says:
/// atomically to `--output`, or to stdout (the caller handles `--quiet`).
/// Returns 0 when it was written, else the exit code for the failure. When
/// `failed` says the catalog stopped the report (a damaged shard found
/// while naming rows), the failed write is not reported as one: the caller
/// reports the catalog's error, and `--output` is left as it was.
fn emit_streamed_until_failure(
    write: &dyn Fn(&mut dyn Write) -> std::io::Result<()>,
    out: &OutputArgs,
    failed: &dyn Fn() -> bool,
) -> i32 {
    match &out.output {
        Some(path) => match output::write_atomically_with(path, bom(out), write) {
            Err(_) if failed() => exit_codes::CATALOG,
            result => written(path, result, &Log::disabled()),
        },
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            match write(&mut w).and_then(|()| w.flush()) {
                Err(_) if failed() => {
                    let _ = w.flush();
                    exit_codes::CATALOG
                }
                result => printed(result),
            }
        }
    }
}

fn run_show(args: cli::ShowArgs) -> i32 {
    let fmt = format(args.output.format);
    let target = match Target::parse(&args.id) {
        Ok(t) => t,
        Err(e) => return fail(&e, &args.output, &Log::disabled()),
    };
    let options = ShowOptions {
        lang: args.lang.clone(),
        scan: scan_options(args.threads),
        trust: signature_options(&args.signature),
    };
    match show(&args.cab, &target, &options) {
        Ok(r) => emit(
            &report::show::show(&r, fmt, style(&args.output)),
            &args.output,
        ),
        Err(e) => fail(&e, &args.output, &Log::disabled()),
    }
}

/// The man pages, from the same clap definitions as the parser.
fn run_man(args: &ManArgs) -> i32 {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let render = |cmd: clap::Command| {
        let man = clap_mangen::Man::new(cmd);
        let mut page = Vec::new();
        man.render(&mut page).expect("rendering into memory");
        (man.get_filename(), page)
    };
    let Some(dir) = &args.dir else {
        return print(&String::from_utf8_lossy(&render(cmd).1));
    };
    let mut pages: Vec<_> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .map(render)
        .collect();
    pages.push(render(cmd));
    for (name, page) in pages {
        let path = dir.join(name);
        if let Err(e) = output::write_atomically(&path, &page) {
            diagnose(&Error::new(ErrorKind::Io, format!("cannot write: {e}")).with_file(&path));
            return exit_codes::USAGE;
        }
    }
    exit_codes::COMPATIBLE
}

fn signature_options(args: &cli::SignatureArgs) -> TrustOptions {
    trust_options(&args.trust, args.no_verify)
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
        file_sha256: false,
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
        return match generate::fixtures::write_all(dir) {
            Ok(lines) => print(&(lines.join("\n") + "\n")),
            Err(e) => {
                diagnose(
                    &Error::new(ErrorKind::Io, format!("cannot write fixtures: {e}"))
                        .with_file(dir),
                );
                exit_codes::USAGE
            }
        };
    }
    let spec = match build_spec(&args) {
        Ok(s) => s,
        Err(e) => {
            diagnose(&e);
            return exit_codes::for_error(e.kind());
        }
    };
    if args.volume == VolumeArg::Real {
        return run_generate_real(&args, &spec);
    }
    if args.manifest.is_some() {
        diagnose(&Error::new(
            ErrorKind::Usage,
            "--manifest needs --volume real",
        ));
        return exit_codes::USAGE;
    }
    let mut generated = generate::generate(&spec);
    if let Some(seed) = args.mutate {
        let n = spec.updates;
        let mutation = generate::mutate::MutateSpec {
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
        generated = generate::mutate::mutate(&generated, &mutation).generated;
    }
    let out = args
        .output
        .as_ref()
        .expect("clap requires --output without --fixtures");
    if let Err(e) = output::write_atomically(out, &generated.cab) {
        diagnose(&Error::new(ErrorKind::Io, format!("cannot write: {e}")).with_file(out));
        return exit_codes::USAGE;
    }
    let code = print(&format!(
        "{}: {} bytes, {} updates, package.xml {} bytes, {} shards\n",
        out.display(),
        generated.cab.len(),
        generated.truth.updates.len(),
        generated.truth.package_xml_len,
        generated.truth.shards.len()
    ));
    // Not eprintln!: a closed stderr must not turn a written catalog into a panic.
    let _ = writeln!(std::io::stderr(), "{}", unsigned_note(out));
    code
}

/// `generate --volume real`: written as it is made (shards on --threads
/// workers), then its sizes beside the 2026 catalog's.
fn run_generate_real(args: &GenerateArgs, spec: &Spec) -> i32 {
    use generate::volume;
    if args.mutate.is_some() {
        diagnose(&Error::new(
            ErrorKind::Usage,
            "--mutate writes a small catalog; it cannot be combined with --volume real",
        ));
        return exit_codes::USAGE;
    }
    let out = args
        .output
        .as_ref()
        .expect("clap requires --output without --fixtures");
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| progress::Bar::counting("writing shards", spec.shards.max(1) as u64));
    let bulk = volume::Bulk {
        rules_bytes: args.rules_bytes.unwrap_or(volume::Bulk::REAL.rules_bytes),
        fresh_per_mille: args
            .fresh_per_mille
            .unwrap_or(volume::Bulk::REAL.fresh_per_mille),
        ..volume::Bulk::REAL
    };
    let summary = std::sync::Mutex::new(None);
    let written = output::write_atomically_with(out, b"", &|w| {
        let made = volume::generate(spec, bulk, threads, w, &|done, _| {
            if let Some(b) = &bar {
                b.set(done as u64);
            }
        })?;
        if let Ok(mut s) = summary.lock() {
            *s = Some(made);
        }
        Ok(())
    });
    if let Some(b) = &bar {
        b.clear();
    }
    if let Err(e) = written {
        diagnose(&Error::new(ErrorKind::Io, format!("cannot write: {e}")).with_file(out));
        return exit_codes::USAGE;
    }
    let Some(s) = summary.into_inner().ok().flatten() else {
        return exit_codes::USAGE;
    };
    if let Some(path) = &args.manifest {
        if let Err(e) = output::write_atomically(path, s.manifest().as_bytes()) {
            diagnose(&Error::new(ErrorKind::Io, format!("cannot write: {e}")).with_file(path));
            return exit_codes::USAGE;
        }
    }
    let text = format!("{}: {} bytes\n{}", out.display(), s.outer_bytes, s.table());
    let code = print(&text);
    let _ = writeln!(std::io::stderr(), "{}", unsigned_note(out));
    code
}

/// What `generate` says on stderr after writing: the catalog is unsigned,
/// so a first `check` of it would exit 3, and the two ways to check it.
fn unsigned_note(out: &std::path::Path) -> String {
    format!(
        "wsuscat: note: {0} is unsigned, so check and verify refuse it (exit code 3); \
         check it with `wsuscat check --allow-unsigned {0}`, or sign it with osslsigncode \
         and check it with `--trust-anchor ROOT.pem` (see `wsuscat generate --help`)",
        out.display()
    )
}

fn run_diff(args: cli::DiffArgs) -> i32 {
    logged_meaning(
        ("diff", &[&args.old, &args.new]),
        &args.output,
        &args.log,
        exit_codes::diff_meaning,
        |log| diff_logged(&args, log),
    )
}

fn diff_logged(args: &cli::DiffArgs, log: &Log) -> i32 {
    let fmt = format(args.output.format);
    let options = wsuscat::DiffOptions {
        scan: scan_options(args.threads),
        trust: signature_options(&args.signature),
        names: !args.names.no_names,
        lang: args.names.lang.clone(),
        // The human report shows the first `--top` items of each section:
        // only those are named. The other formats name every item.
        name_limit: (fmt == report::Format::Human).then_some(args.top),
    };
    match wsuscat::diff(&args.old, &args.new, &options) {
        Ok(r) => {
            log.write(&cmtrace::diff(&r));
            if fmt == Format::Csv && !args.output.quiet {
                // CSV has no place for them; the other formats carry them.
                for note in &r.notes {
                    eprintln!("wsuscat: note: {note}");
                }
            }
            let differences = r.differences();
            let human = report::DiffHuman { top: args.top };
            let style = style(&args.output);
            let written = emit_streamed_logged(
                &|w| report::write_diff(&r, fmt, style, human, w),
                &args.output,
                log,
            );
            if written != exit_codes::COMPATIBLE {
                return written;
            }
            if differences == 0 {
                exit_codes::SAME
            } else {
                exit_codes::DIFFERENT
            }
        }
        Err(e) => fail(&e, &args.output, log),
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
    let real = args.volume == VolumeArg::Real;
    let languages = args.languages.clone().unwrap_or_else(|| {
        if real {
            generate::volume::LANGUAGES.map(String::from).to_vec()
        } else {
            vec!["en".to_string()]
        }
    });
    if let Some(bad) = languages
        .iter()
        .find(|l| l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("--languages: {bad:?} is not a language name (such as en, de, zh-tw)"),
        ));
    }
    Ok(Spec {
        seed: args.seed,
        updates: args
            .updates
            .unwrap_or(if real {
                generate::volume::real_2026::UPDATES
            } else {
                300
            })
            .max(1),
        shards: args.shards.unwrap_or(if real {
            generate::volume::real_2026::SHARDS
        } else {
            0
        }),
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
        revision_base: args.revision_base.unwrap_or(if real {
            0
        } else {
            generate::model::DEFAULT_REVISION_BASE
        }),
        languages,
        ..Spec::default()
    })
}
