//! `install`: the gate in front of a sync. The library copies, keeps and
//! replaces; this runs check and verify as its judge, with check's options,
//! and presents the outcome. [`install_file`] is what a command that has
//! just downloaded a catalog (`fetch --install-to`) calls.

use std::io::IsTerminal;
use std::path::Path;

use wsuscat::commands::install::DEFAULT_RETRY;
use wsuscat::report::{self, cmtrace};
use wsuscat::{
    check, verify, CheckOptions, CheckReport, Error, ErrorKind, InstallOptions, InstallOutcome,
    Profile, Verdict, VerifyOptions, VerifyReport,
};

use crate::cli::{GateArgs, InstallArgs, OutputArgs, TrustArgs};
use crate::log::Log;
use crate::{exit_codes, output, progress};

pub fn run(args: InstallArgs) -> i32 {
    crate::logged_meaning(
        ("install", &[&args.new]),
        &args.output,
        &args.log,
        exit_codes::install_meaning,
        |log| {
            install_file(
                &args.new,
                &args.to,
                &args.gate,
                &args.trust,
                &args.output,
                log,
            )
        },
    )
}

/// Installs `new` as `to` when check and verify pass on the copy: reports
/// through `out`, logs to `log` (already open: a chaining command has its
/// own start line), and returns the exit code (0 installed, 1 incompatible,
/// 2 environment, 3 unusable; see docs/exit-codes.md).
pub fn install_file(
    new: &Path,
    to: &Path,
    gate: &GateArgs,
    trust: &TrustArgs,
    out: &OutputArgs,
    log: &Log,
) -> i32 {
    // Options are judged before the first byte is copied: a bad profile
    // must not cost a gigabyte's copy.
    let profiles = match Profile::judges(&gate.rules.profiles, &gate.rules.baselines) {
        Ok(p) => p,
        Err(e) => return crate::fail(&e, out, log),
    };
    let constraints = match crate::constraints(&gate.rules) {
        Ok(c) => c,
        Err(e) => return crate::fail(&e, out, log),
    };
    let show_progress = !gate.no_progress && !out.quiet && std::io::stderr().is_terminal();
    let check_bar = show_progress.then(|| progress::Bar::new("check"));
    let verify_bar = show_progress.then(|| progress::Bar::new("verify"));
    let scan = crate::scan_options(gate.threads);
    let check_options = CheckOptions {
        profiles,
        // The install report names the file by its SHA-256.
        trust: wsuscat::TrustOptions {
            file_sha256: true,
            ..crate::trust_options(trust, false)
        },
        scan,
        progress: check_bar.as_ref().map(|b| b as &dyn wsuscat::CheckProgress),
        names: !gate.names.no_names,
        lang: gate.names.lang.clone(),
        constraints,
        learn: false,
    };
    let verify_options = VerifyOptions {
        trust: crate::trust_options(trust, false),
        threads: scan.threads,
        progress: verify_bar
            .as_ref()
            .map(|b| b as &dyn wsuscat::VerifyProgress),
    };
    let options = InstallOptions {
        keep: usize::from(gate.keep),
        keep_dir: gate.keep_dir.clone(),
        retry: DEFAULT_RETRY,
        cleanup: Some(&output::Scratch),
    };
    // The reports name NEW: the copy they read is gone when they are read,
    // and was byte-identical to NEW when it was made.
    let shown = new.display().to_string();
    let mut checked: Option<CheckReport> = None;
    let mut verified: Option<VerifyReport> = None;
    let result = wsuscat::install(new, to, &options, &mut |copy| {
        let mut report = check(copy, &check_options)?;
        report.catalog.path.clone_from(&shown);
        log.write(&cmtrace::check(&report));
        let passed = report.verdict == Verdict::Compatible;
        checked = Some(report);
        if !passed {
            return Ok(false);
        }
        let mut report = verify(copy, &verify_options)?;
        report.path.clone_from(&shown);
        log.write(&cmtrace::verify(&report));
        verified = Some(report);
        Ok(true)
    });
    let installation = match result {
        Ok(i) => i,
        Err(e) => return crate::fail(&not_installed(e, new, to), out, log),
    };
    let Some(checked) = checked else {
        // Cannot happen (install returns a result only after the judge
        // ran, and the judge has the check report before it answers), but
        // failing closed costs one line, a panic would cost the exit code.
        let err = Error::new(ErrorKind::Usage, "internal error: no check report").with_file(new);
        return crate::fail(&err, out, log);
    };
    log.write(&cmtrace::install(&installation));
    let results = report::InstallResults {
        installation: &installation,
        check: &checked,
        verify: verified.as_ref(),
    };
    let human = report::CheckHuman { all: gate.all };
    let style = crate::style(out);
    let fmt = crate::format(out.format);
    let written = crate::emit_streamed_logged(
        &|w| report::write_install(&results, fmt, style, human, w),
        out,
        log,
    );
    if written != exit_codes::COMPATIBLE {
        return written;
    }
    match installation.outcome {
        InstallOutcome::Installed => exit_codes::INSTALLED,
        InstallOutcome::Refused => exit_codes::FINDINGS,
    }
}

/// A judge's error (it names NEW) says that nothing was installed: the
/// error line is all a scheduled task's operator may read.
fn not_installed(err: Error, new: &Path, to: &Path) -> Error {
    if err.place().file.as_deref() != Some(new) {
        return err;
    }
    let message = format!(
        "{}; not installed: {} is unchanged",
        err.message(),
        to.display()
    );
    err.with_message(message)
}
