//! The command line, as clap definitions. Nothing here touches the library's
//! logic; `main.rs` maps these onto library calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit_codes_table;

#[derive(Parser, Debug)]
#[command(
    name = "wsuscat",
    // Usage lines say `wsuscat`, as every example does, on every platform:
    // clap would otherwise take the name from argv[0] (`wsuscat.exe`).
    bin_name = "wsuscat",
    version,
    about = "Preflight checks for Microsoft's offline update catalog (wsusscn2.cab)",
    long_about = "Opens wsusscn2.cab directly, streams its metadata, and says which updates would \
break a given consumer (Configuration Manager 2007's legacy sync by default) before any sync runs.",
    after_help = TOP_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check every update in a catalog against consumer profiles.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Prove the catalog intact and genuinely signed: every block of every
    /// cabinet, every size, index.xml, package.xml, and the Authenticode signature.
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Put a new catalog in place of the one a sync reads, only if check and
    /// verify pass on the copy that will replace it; the previous one is kept.
    #[command(after_help = INSTALL_HELP)]
    Install(InstallArgs),
    /// What a catalog holds: identity, shards, and a census of its updates.
    #[command(after_help = INFO_HELP)]
    Info(InfoArgs),
    /// List updates, filtered, with titles and KB numbers from the shards.
    #[command(after_help = LIST_HELP)]
    List(ListArgs),
    /// Everything the catalog knows about one update.
    #[command(after_help = SHOW_HELP)]
    Show(ShowArgs),
    /// Learn a catalog's vocabulary and write it as a baseline profile.
    #[command(after_help = BASELINE_HELP)]
    Baseline(BaselineArgs),
    /// Compare two catalogs: updates added, removed and revised, and more.
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// Download the catalog (conditionally, resumably), verify it, and only
    /// then put it in place of FILE.
    #[command(after_help = FETCH_HELP)]
    Fetch(FetchArgs),
    /// List the built-in profiles.
    #[command(after_help = PROFILES_HELP)]
    Profiles(ProfilesArgs),
    /// Generate synthetic, unsigned wsusscn2-shaped catalogs (test fixtures, benchmarks).
    #[command(after_help = GENERATE_HELP)]
    Generate(GenerateArgs),
    /// Print a shell completion script, generated from these definitions.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand with --dir.
    #[command(after_help = MAN_HELP)]
    Man(ManArgs),
    /// Register or remove the event source that --event-log writes as
    /// (Windows; in an elevated prompt).
    #[command(name = "event-log", after_help = EVENT_LOG_HELP)]
    EventLog(EventLogArgs),
}

const TOP_HELP: &str = concat!(
    "\
Examples:
  wsuscat check wsusscn2.cab
  wsuscat check --format json --output report.json --log wsuscat.log wsusscn2.cab
  wsuscat verify wsusscn2.cab
  wsuscat check --help

",
    exit_codes_table!(),
    "\n\nDocumentation: docs/README.md in the source tree."
);

const COMPLETIONS_HELP: &str = "\
Examples:
  wsuscat completions bash > /etc/bash_completion.d/wsuscat
  wsuscat completions zsh > \"${fpath[1]}/_wsuscat\"
  wsuscat completions fish > ~/.config/fish/completions/wsuscat.fish
  wsuscat completions powershell | Out-String | Invoke-Expression";

const MAN_HELP: &str = "\
Examples:
  wsuscat man > wsuscat.1 && man ./wsuscat.1
  wsuscat man --dir /usr/local/share/man/man1";

const EVENT_LOG_HELP: &str = "\
Examples:
  wsuscat event-log install       # once, in an elevated prompt
  wsuscat check --quiet --event-log --log C:\\Logs\\wsuscat.log wsusscn2.cab
  wsuscat event-log uninstall

install registers the source wsuscat in the Application log: the key
HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\wsuscat, with
TypesSupported 7 and .NET Framework 4's EventLogMessages.dll as its message
file, so that Event Viewer shows each entry's text alone. Windows
PowerShell's `New-EventLog -LogName Application -Source wsuscat` does the
same. --event-log writes without it; Event Viewer then puts \"The
description for Event ID 1001 from source wsuscat cannot be found\" before
the text.

Exit codes:
  0  done (uninstall: also when the source was not registered)
  2  not Windows, or the registry refused (run it as administrator)";

const CHECK_HELP: &str = concat!(
    "\
Examples:
  wsuscat check wsusscn2.cab
  wsuscat check --profile wua --format json wsusscn2.cab > report.json
  wsuscat check --format jsonl --output C:\\Reports\\check.jsonl --log C:\\Logs\\wsuscat.log wsusscn2.cab
  wsuscat check --format csv --output findings.csv --quiet wsusscn2.cab
  wsuscat check --profile my-importer.toml --quiet wsusscn2.cab
  wsuscat check --baseline last-good.toml wsusscn2.cab    # the default profile and the baseline
  wsuscat check --trust-anchor testdata/test-signing/test-root-ca.pem testdata/sample-wsusscn2.cab

check first compares the file's size with its header (a truncated or padded
download fails at once) and verifies its Authenticode signature against
Microsoft's code-signing roots; --trust-anchor, --allow-unsigned and
--no-verify change that.

",
    exit_codes_table!()
);

const INSTALL_HELP: &str = "\
Examples:
  wsuscat install C:\\wsuscat\\cache\\wsusscn2.cab --to \"D:\\Microsoft Updates Inventory Tool\\PkgSource\\wsusscn2.cab\"
  wsuscat install --quiet --log C:\\Logs\\wsuscat.log --baseline last-good.toml new.cab --to D:\\WSUS\\wsusscn2.cab
  wsuscat install --keep 5 --keep-dir E:\\catalogs\\previous new.cab --to D:\\WSUS\\wsusscn2.cab

NEW is copied beside TARGET (a hidden .NAME.wsuscat-install-PID), check and
verify run on that copy with the options given (the same as check's), and
only when both pass is the copy renamed over TARGET, atomically. The
previous TARGET is kept first (a hard link, or a copy on another volume) as
NAME.YYYYMMDDTHHMMSSZ.EXT in --keep-dir, by default wsuscat-previous\\FOLDER
beside TARGET's folder; the oldest beyond --keep are removed. On any failure
TARGET is byte-identical and no temp file is left.

Exit codes:
  0    installed: the copy passed check and verify and is now TARGET
  1    not installed: the check found the new catalog incompatible
  2    not installed: usage or environment error (bad arguments, NEW missing,
       TARGET's folder missing or not writable, TARGET held open by another
       program after 10 s of retries, log or report not writable)
  3    not installed: the new catalog is unusable (damaged, truncated,
       unsigned, bad or untrusted signature)
  130  interrupted (Ctrl-C, SIGTERM): TARGET is the old or the new file, whole";

const BASELINE_HELP: &str = "\
Examples:
  wsuscat baseline last-good/wsusscn2.cab -o baseline.toml
  wsuscat check --baseline baseline.toml new/wsusscn2.cab

The baseline lists every element path, attribute name, enumerated value and
update kind-combination the catalog uses, with counts in comments. It is a
profile: `check --baseline FILE` reports anything a new catalog uses outside
it, and still judges with the default profile (or those --profile names), so
a baseline of severity warn never lets through what the profiles break.

The catalog being learned is judged too (by the default profile, or those
--profile names): when it is incompatible, the baseline is still written,
with a warning on stderr and in its header: it accepts what broke.

Exit codes:
  0  the baseline was written
  2  usage or environment error
  3  unusable catalog";

const DIFF_HELP: &str = "\
Examples:
  wsuscat diff old/wsusscn2.cab new/wsusscn2.cab
  wsuscat diff --format csv old.cab new.cab > changes.csv

Exit codes:
  0  no differences
  1  the catalogs differ
  2  usage or environment error
  3  either catalog is unusable";

const VERIFY_HELP: &str = "\
Examples:
  wsuscat verify wsusscn2.cab
  wsuscat verify --trust-anchor my-root.pem --format json signed.cab
  wsuscat verify --quiet --log /var/log/wsuscat.log wsusscn2.cab

Exit codes:
  0    intact, and signed by a certificate that chains to a trust anchor
       (or unsigned, with --allow-unsigned)
  2    usage or environment error (bad arguments, missing file, I/O, bad anchor
       file, report or log not writable)
  3    not intact or not trusted: truncated or padded, a checksum or size
       mismatch, malformed index.xml or package.xml, unsigned, digest mismatch,
       untrusted chain, expired certificate
  130  interrupted (Ctrl-C, SIGTERM)";

const FETCH_HELP: &str = "\
Examples:
  wsuscat fetch -o D:\\WSUS\\wsusscn2.cab --log D:\\WSUS\\wsuscat.log
  wsuscat fetch https://mirror.example/wsusscn2.cab -o wsusscn2.cab --format json --output fetch.json
  HTTPS_PROXY=http://proxy:3128 wsuscat fetch -o wsusscn2.cab

Without URL, Microsoft's published link (http://go.microsoft.com/fwlink/?LinkId=76054),
which redirects to the download server. The download goes to .FILE.wsuscat-part beside
FILE, never into FILE; it is verified as `wsuscat verify` does (size, every checksum,
the Authenticode signature against --trust-anchor or Microsoft's roots) and only then
renamed over FILE. Its ETag and Last-Modified are then saved in FILE.fetch.json, and
the next fetch asks the server for the catalog only if it changed (304: unchanged) --
as long as FILE still has the size and SHA-256 saved. An interrupted download is
continued from where it stopped (Range), or started again where the server cannot.
Plain http:// is fine: the signature, not the transport, proves the file.

Exit codes:
  0    a new catalog was fetched, verified and put in place, or it is
       unchanged (304): FILE is the server's current, verified catalog
  2    network, usage or environment error: unreachable, timed out, HTTP 4xx or
       5xx after the retries, too many redirects, fewer or more bytes than
       announced, TLS failure, FILE's folder not writable; FILE is untouched
  3    the download failed verification (truncated, corrupt, unsigned,
       untrusted): it was removed; FILE and the saved validators are untouched
  130  interrupted (Ctrl-C, SIGTERM); the partial download is kept and continued
       by the next fetch";

const PROFILES_HELP: &str = "\
Examples:
  wsuscat profiles
  wsuscat profiles --format csv --output profiles.csv";

const INFO_HELP: &str = "\
Examples:
  wsuscat info wsusscn2.cab
  wsuscat info --format json wsusscn2.cab > census.json

Exit codes: 0 done; 2 usage or environment error; 3 unusable catalog (as for check).";

const LIST_HELP: &str = "\
Examples:
  wsuscat list --kb 5058379 wsusscn2.cab
  wsuscat list --product \"Windows 11\" --classification \"Security Updates\" --not-superseded wsusscn2.cab
  wsuscat list --deployment-action absent --kind child wsusscn2.cab
  wsuscat list --format csv wsusscn2.cab > updates.csv     # every update, with titles

Filters combine: an update is listed when it matches all of them. Product and
classification match a whole name (case-insensitive) or the category's UpdateId.
Titles, KB numbers, severities and category names come from the shards, read in
one pass (each shard decoded at most once).

Exit codes: 0 done (also when nothing matches); 2 usage or environment error;
3 unusable catalog.";

const SHOW_HELP: &str = "\
Examples:
  wsuscat show wsusscn2.cab 1293995
  wsuscat show wsusscn2.cab {8e0e0f6a-3c3b-4a47-9d0e-0b4d2a1f9e11}
  wsuscat show --format json wsusscn2.cab KB5058379

ID is a RevisionId, an UpdateId or KB followed by the article number (every
update carrying that KB article is shown).

Exit codes: 0 shown; 2 usage error, or no such update in the catalog;
3 unusable catalog.";

const GENERATE_HELP: &str = "\
Examples:
  wsuscat generate --fixtures testdata          # regenerate every committed fixture
  wsuscat generate --updates 136000 --shards 75 -o full.cab
  wsuscat generate --inject 1293995=PreDeploymentCheck --inject 1000042= -o mix.cab

The catalog written is UNSIGNED (Microsoft signs the real one), so `check`
and `verify` refuse it (exit code 3) unless told otherwise. Either accept it
unsigned:
  wsuscat check --allow-unsigned full.cab
or sign it with osslsigncode and trust the root that issued the key:
  osslsigncode sign -certs signing.pem -key signing.key -h sha256 -in full.cab -out signed.cab
  wsuscat check --trust-anchor root-ca.pem signed.cab";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Text for a person.
    #[value(alias = "table")]
    Human,
    /// One JSON document (docs/json.md).
    Json,
    /// JSON Lines: one event per line with a "type" field (docs/json.md).
    Jsonl,
    /// RFC 4180 CSV with a header row (docs/csv.md).
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Where and how a report goes. Every command with a report flattens this,
/// and `main::emit` is the one place that acts on it.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: FormatArg,
    /// Colour in human output (auto: only on a terminal, and never with NO_COLOR set).
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
    /// Write the report to FILE instead of stdout, atomically (a temp file
    /// beside it, then a rename): FILE is either the old or the new report,
    /// never half of one.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print nothing on stdout; errors still go to stderr, --output and
    /// --log are still written, and the exit code is unchanged.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The CMTrace log. Every command that reaches a verdict flattens this.
#[derive(Args, Debug, Clone)]
pub struct LogArgs {
    /// Append CMTrace entries (start, catalog, each finding, verdict, exit
    /// code) to FILE, readable by CMTrace and OneTrace.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Roll the log over when it would grow past this size, as ConfigMgr
    /// does: FILE.log is renamed FILE.lo_ (replacing the old one).
    #[arg(long, value_name = "BYTES", default_value_t = 250_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub log_max_bytes: u64,
    /// At the end of the run, write one entry to the Windows Application
    /// event log: source wsuscat, event ID 1000 + the exit code, the
    /// verdict and the first findings or the error (docs/windows.md).
    /// Windows only; an entry that cannot be written is a warning.
    #[arg(long)]
    pub event_log: bool,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct EventLogArgs {
    /// install: register the source (HKLM); uninstall: remove it.
    #[arg(value_enum)]
    pub action: EventLogAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventLogAction {
    Install,
    Uninstall,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write wsuscat.1 and one wsuscat-COMMAND.1 per subcommand into DIR
    /// instead of printing wsuscat.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// What the signature must prove, for every command that reads a catalog
/// and reports on it; `verify` takes [`TrustArgs`] alone, since skipping the
/// signature would defeat it.
#[derive(Args, Debug)]
pub struct SignatureArgs {
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Do not check the signature at all (the report says so; the size
    /// preflight still runs).
    #[arg(long, conflicts_with_all = ["allow_unsigned", "trust_anchors"])]
    pub no_verify: bool,
}

#[derive(Args, Debug)]
pub struct TrustArgs {
    /// A PEM or DER root certificate to trust instead of Microsoft's
    /// code-signing roots (2010 and 2011). Repeatable.
    #[arg(long = "trust-anchor", value_name = "FILE.pem")]
    pub trust_anchors: Vec<PathBuf>,
    /// Accept a catalog without a signature (it is reported as unsigned).
    #[arg(long)]
    pub allow_unsigned: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The catalog to verify (wsusscn2.cab).
    pub cab: PathBuf,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Total threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// What to download (default: Microsoft's link to wsusscn2.cab).
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// Where the verified catalog goes (replaced only by a verified download).
    #[arg(short = 'o', long = "catalog", value_name = "FILE")]
    pub catalog: PathBuf,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// A PEM file of CA certificates to trust for https instead of the
    /// system's roots (a TLS-inspecting proxy's root). Repeatable.
    #[arg(long = "tls-ca", value_name = "FILE.pem")]
    pub tls_ca: Vec<PathBuf>,
    /// Seconds a connection (TCP, TLS, a proxy's CONNECT) may take.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub connect_timeout: u64,
    /// Seconds the server may send nothing before the attempt fails as
    /// stalled (the whole download has no time limit while bytes arrive).
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Retries after a dropped or refused connection, a timeout, or an
    /// HTTP 5xx, 408 or 429; each continues the download where it stopped.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// Seconds before the first retry; doubled for each next one (at most 60).
    #[arg(long, value_name = "SECS", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(0..=60))]
    pub retry_wait: u64,
    /// Redirects to follow.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(0..=50))]
    pub max_redirects: u32,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Then install FILE as TARGET, through the same gate as `wsuscat install
    /// FILE --to TARGET`: check (with the options below) and verify on a
    /// copy beside TARGET, the previous TARGET kept, TARGET replaced only if
    /// both pass. The exit code is then install's. An unchanged FILE that
    /// TARGET already is (same size and SHA-256) is not installed again.
    #[arg(long, value_name = "TARGET")]
    pub install_to: Option<PathBuf>,
    /// Threads, progress, and with --install-to how install judges and keeps.
    #[command(flatten)]
    pub gate: GateArgs,
}

/// What a catalog is judged against: `check` and `install` share it, so
/// that install's gate is the same check with the same options.
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// A built-in profile name or a profile TOML file; repeat to combine.
    /// Naming any replaces the default profile (configmgr2007-legacy).
    #[arg(long = "profile", value_name = "NAME|FILE")]
    pub profiles: Vec<String>,
    /// A baseline written by `wsuscat baseline`, judged with in addition to
    /// the profiles (the default one unless --profile names others): it
    /// adds, it never replaces. Repeatable.
    #[arg(long = "baseline", value_name = "FILE")]
    pub baselines: Vec<PathBuf>,
    /// The fleet's Windows Update Agent version: a catalog whose
    /// MinimumClientVersion is newer is a finding (rule wua-version).
    #[arg(long, value_name = "X.Y.Z.W")]
    pub wua_version: Option<String>,
    /// A catalog whose CreationDate (or verified signing time) is more than
    /// DAYS days old is a finding (rule max-age).
    #[arg(long, value_name = "DAYS")]
    pub max_age: Option<u64>,
    /// Pretend "now" is this RFC 3339 time (for tests of --max-age).
    #[arg(long, hide = true, value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// The new catalog (the one fetch downloaded, say). It is copied, never
    /// moved: it may be a download cache that must stay.
    pub new: PathBuf,
    /// The file to replace: the catalog a sync or a scan reads (for
    /// ConfigMgr's legacy sync, …\Microsoft Updates Inventory
    /// Tool\PkgSource\wsusscn2.cab). Its folder must exist.
    #[arg(long = "to", value_name = "TARGET")]
    pub to: PathBuf,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// How `install` judges and keeps: everything of it but NEW, TARGET, the
/// trust options, the report and the log, so that a command chaining into
/// an install (`fetch --install-to`) can flatten the same options.
#[derive(Args, Debug)]
pub struct GateArgs {
    /// Where previous generations of TARGET are kept (default:
    /// wsuscat-previous/FOLDER beside TARGET's folder FOLDER, on the same
    /// volume so that keeping one is a hard link).
    #[arg(long, value_name = "DIR")]
    pub keep_dir: Option<PathBuf>,
    /// How many previous generations to keep; 0 keeps none.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub keep: u16,
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Total threads for check and verify (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// List every finding in the human report (as check --all).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub names: NamesArgs,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The catalog to check (wsusscn2.cab).
    pub cab: PathBuf,
    #[command(flatten)]
    pub rules: RulesArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub log: LogArgs,
    #[command(flatten)]
    pub signature: SignatureArgs,
    /// Also hash the whole file for its SHA-256 (what Get-FileHash and
    /// sha256sum print). When the signature is checked, the report
    /// otherwise names the catalog by the digest its signature covers, and
    /// the file is hashed once; this adds a second pass over the file.
    #[arg(long)]
    pub sha256: bool,
    /// Threads for decompressing and parsing, the decompressing one included
    /// (default: all cores). With more than one, one more thread hashes the
    /// file for the signature meanwhile; --threads 1 does everything on one.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Target size of the pieces package.xml is parsed in, in bytes.
    #[arg(long, default_value_t = 1 << 20, hide = true, value_parser = clap::value_parser!(u64).range(4096..=(64 << 20)))]
    pub batch_size: u64,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// List every finding in the human report. Without it, many findings
    /// are grouped by profile, rule and value, with the first 5 updates of
    /// each group; JSON, JSON Lines and CSV always list every finding.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub names: NamesArgs,
}

#[derive(Args, Debug)]
pub struct NamesArgs {
    /// Language of titles and category names (falling back to each update's
    /// DefaultLanguage, then English).
    #[arg(long, default_value = "en", value_name = "LANG")]
    pub lang: String,
    /// Do not read titles, KB numbers or category names from the shards.
    #[arg(long)]
    pub no_names: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Bundle,
    Child,
    Category,
    Other,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The catalog (wsusscn2.cab).
    pub cab: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub signature: SignatureArgs,
    /// Also hash the whole file for its SHA-256 (what Get-FileHash and
    /// sha256sum print). When the signature is checked, the report
    /// otherwise names the catalog by the digest its signature covers, and
    /// the file is hashed once; this adds a second pass over the file.
    #[arg(long)]
    pub sha256: bool,
    #[command(flatten)]
    pub names: NamesArgs,
    /// Total threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// The catalog (wsusscn2.cab).
    pub cab: PathBuf,
    #[command(flatten)]
    pub signature: SignatureArgs,
    /// Only updates whose KBArticleID is N (with or without "KB").
    #[arg(long, value_name = "N")]
    pub kb: Option<String>,
    /// Only the update with this UpdateId.
    #[arg(long, value_name = "GUID")]
    pub update_id: Option<String>,
    /// Only the update with this RevisionId.
    #[arg(long, value_name = "N")]
    pub revision_id: Option<u64>,
    /// Only updates in this product (its name or UpdateId).
    #[arg(long, value_name = "NAME")]
    pub product: Option<String>,
    /// Only updates in this classification (its name or UpdateId).
    #[arg(long, value_name = "NAME")]
    pub classification: Option<String>,
    /// Only updates with this DeploymentAction; "absent" selects updates
    /// without the attribute.
    #[arg(long, value_name = "VALUE|absent")]
    pub deployment_action: Option<String>,
    /// Only updates with a SupersededBy reference.
    #[arg(long, conflicts_with = "not_superseded")]
    pub superseded: bool,
    /// Only updates without a SupersededBy reference.
    #[arg(long)]
    pub not_superseded: bool,
    /// Only updates of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub names: NamesArgs,
    /// Total threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The catalog (wsusscn2.cab).
    pub cab: PathBuf,
    /// A RevisionId, an UpdateId, or KB1234567.
    pub id: String,
    #[command(flatten)]
    pub signature: SignatureArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Language of titles (falling back to the update's DefaultLanguage).
    #[arg(long, default_value = "en", value_name = "LANG")]
    pub lang: String,
    /// Total threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// A catalog that synced fine.
    pub cab: PathBuf,
    /// Where to write the baseline (default: stdout). Written whole or not at all.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The profile's name (default: baseline-<CreationDate's day>).
    #[arg(long)]
    pub name: Option<String>,
    /// Severity of every novelty found against it.
    #[arg(long, value_enum, default_value = "breaks")]
    pub severity: SeverityArg,
    /// The profile that judges the catalog being learned (default:
    /// configmgr2007-legacy); when it finds the catalog incompatible the
    /// baseline is still written, with a warning on stderr and in its
    /// header. Repeatable.
    #[arg(long = "profile", value_name = "NAME|FILE")]
    pub profiles: Vec<String>,
    #[command(flatten)]
    pub signature: SignatureArgs,
    /// Total threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Breaks,
    Warn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormatArg {
    Human,
    Json,
    Csv,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The older catalog.
    pub old: PathBuf,
    /// The newer catalog.
    pub new: PathBuf,
    #[command(flatten)]
    pub signature: SignatureArgs,
    /// Format human shows counts and the first items per section; json,
    /// jsonl and csv list every item.
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Items shown per section in the human report (only these are named
    /// there; json, jsonl and csv name every item).
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Titles and KB numbers of the updates, and titles of the products and
    /// classifications, that changed: read from OLD's shards for what only
    /// OLD holds, from NEW's for the rest.
    #[command(flatten)]
    pub names: NamesArgs,
    /// Total threads, shared by both catalogs (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

#[derive(Args, Debug)]
pub struct ProfilesArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `generate --volume`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeArg {
    /// A catalog of the size the options say (300 updates by default).
    Small,
    /// The 2026 catalog's volume.
    Real,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Write every committed fixture into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub fixtures: Option<PathBuf>,
    /// Output file.
    #[arg(short, long, required_unless_present = "fixtures")]
    pub output: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The catalog's size: `small` (the options below) or `real`: the 2026
    /// catalog's volume and shape (137,091 updates, 74 shards whose
    /// fragments hold about 16 GB of XML, `l\` in 37 languages, small
    /// RevisionIds, an outer cabinet of about 650 MB), written on
    /// --threads cores in a few minutes. --updates, --shards, --languages
    /// and --revision-base still apply when given.
    #[arg(long, value_enum, default_value_t = VolumeArg::Small)]
    pub volume: VolumeArg,
    /// Number of <Update> elements (default 300; 137091 with --volume real).
    #[arg(long)]
    pub updates: Option<usize>,
    /// Number of shards (default 0: one per 1,800 updates; 74 with
    /// --volume real).
    #[arg(long)]
    pub shards: Option<usize>,
    /// With --volume real: average bytes of applicability rules in an
    /// installable's `c\` fragment (calibration; default from the 2026
    /// catalog's figures).
    #[arg(long, hide = true)]
    pub rules_bytes: Option<usize>,
    /// With --volume real: per mille of each installable's rules drawn
    /// afresh rather than kept from its predecessor's (calibration).
    #[arg(long, hide = true)]
    pub fresh_per_mille: Option<u32>,
    /// With --volume real: also write FILE, the SHA-256 of each outer
    /// member (for `sha256sum -c`) and of each shard's members in order
    /// (compare `cabextract -p SHARD | sha256sum`), so that a peer's
    /// extraction can be checked byte for byte.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Threads writing shards with --volume real (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Outer cabinet compression: none, mszip, or lzx:15 … lzx:21.
    #[arg(long, default_value = "lzx:21")]
    pub outer: String,
    /// package.cab and shard compression.
    #[arg(long, default_value = "lzx:21")]
    pub inner: String,
    /// Put package.cab last in the outer cabinet.
    #[arg(long)]
    pub package_cab_last: bool,
    /// Folders in the outer cabinet.
    #[arg(long, default_value_t = 1)]
    pub outer_folders: usize,
    /// REVISIONID=VALUE: force DeploymentAction (empty VALUE writes "",
    /// REVISIONID alone removes the attribute). Repeatable.
    #[arg(long, value_name = "REV=VALUE")]
    pub inject: Vec<String>,
    /// Write instead "the next catalog": the one generated from these
    /// options, mutated with this seed (updates added, removed, revised and
    /// superseded, a new product, a new DeploymentAction value, a new
    /// attribute and child element, a nested bundle, a newer
    /// MinimumClientVersion). For `diff` and baseline tests and benchmarks.
    #[arg(long, value_name = "SEED")]
    pub mutate: Option<u64>,
    /// Pretty-print package.xml.
    #[arg(long)]
    pub pretty: bool,
    /// Leave out the OfflineSync namespace.
    #[arg(long)]
    pub no_namespace: bool,
    /// RevisionIds start just above this (0 for the small ones of the 2026
    /// catalog, 43000000 for those of 2025). Default 1000000; 0 with
    /// --volume real.
    #[arg(long, value_name = "N")]
    pub revision_base: Option<u32>,
    /// Languages of the `l\` fragments, comma-separated (`en,de,ja`):
    /// English for every update, the others for bundles. Default `en`; the
    /// 2026 catalog's 37 with --volume real.
    #[arg(long, value_name = "LANGS", value_delimiter = ',')]
    pub languages: Option<Vec<String>>,
}
