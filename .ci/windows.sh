#!/usr/bin/env bash
# Windows: build wsuscat.exe from Debian bookworm's own packages (rustc-web,
# cargo-web, rust-web-src, mingw-w64) and run the CLI-level integration
# tests against it under bookworm's Wine. No toolchain is downloaded; only
# crates come from crates.io (std's, pinned by the Cargo.lock rust-web-src
# ships). Everything it makes stays in target/ (target/windows,
# target/wine). .ci/run calls it; a developer can run it alone:
#
#     bash .ci/windows.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# -- packages: bookworm's, installed only when missing -----------------------
pkgs=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine)
need=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" != bookworm ]; then
    echo "windows.sh: needs Debian bookworm's packages (this is ${PRETTY_NAME:-unknown})" >&2
    exit 2
  fi
  echo "== installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Each package must come from a bookworm suite (bookworm or
# bookworm-security, where rustc-web 1.96 is), never from another one.
for p in "${pkgs[@]}"; do
  from=$(apt-cache policy "$p" | awk '/^ [*][*][*] /{f=1; next} f && /^     [^ ]/{exit} f && /http/{print $3}')
  case "$from" in
    "" | *bookworm*) ;;
    *) echo "windows.sh: $p is installed from $from, not bookworm" >&2; exit 2 ;;
  esac
done

# -- the toolchain: Debian's cargo and rustc, ahead of any rustup shims ------
deb_bin=$(dirname "$(dpkg -L cargo-web | grep -m1 -E '^/usr/bin/cargo$')")
deb_path="$deb_bin:$PATH"
echo "== toolchain: $(PATH=$deb_path cargo --version); $(PATH=$deb_path rustc --version)"

# -- wsuscat.exe --------------------------------------------------------------
# -Zbuild-std builds std for the target from rust-web-src's source
# (/usr/src/rustc-*/library); cargo resolves std's dependencies with the
# Cargo.lock that ships beside it, so --locked holds for std as for wsuscat.
# RUSTC_BOOTSTRAP=1 is what lets a stable rustc take -Z flags.
exe=target/windows/x86_64-pc-windows-gnu/ci/wsuscat.exe
t0=$SECONDS
echo "== building $exe ([profile.ci], -Zbuild-std, Debian's rustc)"
env PATH="$deb_path" RUSTC_BOOTSTRAP=1 CARGO_TERM_COLOR=never \
  cargo build --profile ci --locked --quiet \
  --target x86_64-pc-windows-gnu -Zbuild-std=std,panic_unwind \
  --target-dir target/windows
echo "   (exe build: $((SECONDS - t0)) s, $(stat -c %s "$exe") bytes)"

# -- Wine: a prefix of our own, with the ProcessPrng stub --------------------
# Wine 8.0 has no bcryptprimitives.dll; Rust's std imports ProcessPrng from
# it, so without the stub every Rust exe exits 53 before main. The stub goes
# into this prefix's system32 only, never next to the exe.
export WINEPREFIX="$PWD/target/wine"
# Wine turns argv and file names into UTF-16 through the Unix locale's
# character set: under a plain C locale, a non-ASCII path would reach the
# exe mangled. The tests use non-ASCII paths, so the character set is UTF-8.
export LC_CTYPE=C.UTF-8
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
sys32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -f "$sys32/kernel32.dll" ]; then
  echo "== creating the Wine prefix $WINEPREFIX"
  wineboot --init >/dev/null 2>&1 || true
  wineserver -w
fi
x86_64-w64-mingw32-gcc -shared -O2 -s -o target/windows/bcryptprimitives.dll \
  .ci/bcryptprimitives.c -ladvapi32
cp target/windows/bcryptprimitives.dll "$sys32/bcryptprimitives.dll"
# A test tool, never shipped: holds a file open the way Excel holds a CSV
# (tests/it/windows.rs).
x86_64-w64-mingw32-gcc -municode -O2 -s -o target/windows/hold-open.exe .ci/hold-open.c
# One wineserver for the whole run instead of one per test; stopped on exit.
wineserver -p 2>/dev/null || true  # one may already run for this prefix
trap 'wineserver -k || true' EXIT

# -- the README's commands ---------------------------------------------------
echo "== README commands under wine"
anchor=(--trust-anchor testdata/test-signing/test-root-ca.pem)
expect() { # code command...
  local want=$1 rc=0
  shift
  "$@" >/dev/null || rc=$?
  if [ "$rc" != "$want" ]; then
    echo "windows.sh: '$*' exited $rc, expected $want" >&2
    exit 1
  fi
  echo "   exit $rc: $*"
}
expect 1 wine "$exe" check "${anchor[@]}" testdata/sample-wsusscn2.cab
expect 0 wine "$exe" diff "${anchor[@]}" testdata/sample-wsusscn2.cab testdata/sample-wsusscn2.cab

# -- the CLI-level tests, against wine wsuscat.exe ---------------------------
# A module of tests/it runs here when it starts wsuscat (tests that only
# call the library ran in the Linux stage; running them again would count
# them twice). Peers (cabextract, osslsigncode) run on the Linux side.
skips=()
for f in tests/it/*.rs; do
  m=$(basename "$f" .rs)
  [ "$m" = main ] && continue
  grep -qE '\b(run|command|check_json|command_line|bin)\(' "$f" || skips+=(--skip "$m::")
done
log=target/windows/wine-tests.log
exe_log=target/windows/wine-tests-exe.log
: >"$exe_log"
: >"$log.retry"
t0=$SECONDS
rc=0
export WSUSCAT_TEST_HOLD_OPEN="$PWD/target/windows/hold-open.exe"
WSUSCAT_TEST_EXE="$PWD/$exe" WSUSCAT_TEST_RUNNER=wine WSUSCAT_TEST_EXE_LOG="$PWD/$exe_log" \
  CARGO_TERM_COLOR=never cargo test --test it -- --skip mutation:: "${skips[@]}" >"$log" 2>&1 || rc=$?
echo "   (wine tests: $((SECONDS - t0)) s)"
grep -E '^test .* \.\.\. (FAILED|ignored)' "$log" | sed 's/^test /  /' || true
grep -E 'SKIP' "$log" || true
# libtest counts a test that skipped as passed; each SKIP notice ends with
# its test's name in brackets, so the skipped tests are taken out of the
# passes and counted apart.
notices=$(grep -c '^SKIP' "$log" || true)
skipped=$(grep '^SKIP' "$log" | sed -n 's/.*\[\([^]]*\)\]$/\1/p' | sort -u | grep -c . || true)
started=$(sort -u "$exe_log" | grep -c . || true)
grep -E '^test result:' "$log" |
  awk -v n="$notices" -v s="$skipped" -v e="$started" '{p+=$4; f+=$6; i+=$8}
    END {print "windows (wine): " p + f " ran, " p - s " passed, " f " failed, " s " skipped (" n " SKIP notices), " i " ignored; " e " tests started wsuscat.exe"}'
# A failure listed in .ci/wine-known-failures is reported, counted and
# allowed; any other failure, or a listed test that now passes, fails the run.
known=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' .ci/wine-known-failures | sort -u)
failed=$(grep -E '^test .* \.\.\. FAILED$' "$log" | awk '{print $2}' | sort -u || true)
unexpected=$(comm -13 <(echo "$known") <(echo "$failed") | sed '/^$/d')
# Wine 8.0 on a loaded machine now and then loses a process ("wine client
# error", a child killed by a signal): a failure not listed runs once more,
# alone, and one that then passes is reported as a Wine flake, not hidden.
flaky=""
for t in $unexpected; do
  if WSUSCAT_TEST_EXE="$PWD/$exe" WSUSCAT_TEST_RUNNER=wine CARGO_TERM_COLOR=never \
    cargo test --quiet --test it -- --exact "$t" >>"$log.retry" 2>&1; then
    flaky="$flaky $t"
  fi
done
for t in $flaky; do
  echo "   FLAKY under wine (failed, then passed alone): $t"
  unexpected=$(echo "$unexpected" | grep -vxF "$t" || true)
done
fixed=$(comm -23 <(echo "$known") <(echo "$failed") | sed '/^$/d')
echo "   known failures under wine (.ci/wine-known-failures): $(comm -12 <(echo "$known") <(echo "$failed") | grep -c . || true)"
if [ -n "$unexpected" ]; then
  echo "== failures not in .ci/wine-known-failures"
  echo "$unexpected" | sed 's/^/  /'
  echo "== failure output (from $log)"
  sed -n '/^failures:$/,/^test result:/p' "$log" | head -200
  rc=1
elif [ -n "$fixed" ]; then
  echo "== listed in .ci/wine-known-failures but did not fail: take them off"
  echo "$fixed" | sed 's/^/  /'
  rc=1
elif [ "$rc" != 0 ] && ! grep -qE '^test result:' "$log"; then
  echo "== the tests did not run (from $log)"
  tail -40 "$log"
else
  rc=0
fi

# -- the release zip: built, unpacked, its exe run under wine ----------------
# .ci/package.sh packages this exe; completions come from the Linux build
# cargo test made (the same clap definitions). The zip is unpacked into a
# fresh folder, its SHA256SUMS checked, and the README's check run with the
# unpacked exe: exit 1 on the sample, as documented.
echo "== the release zip (.ci/package.sh), unpacked, the README's check under wine"
t0=$SECONDS
cargo build --quiet --bin wsuscat
bash .ci/package.sh --only windows --exe "$exe" --bin target/debug/wsuscat
version=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["package"]["version"])')
zip=target/package/wsuscat-$version-x86_64-pc-windows-gnu.zip
echo "   (package: $((SECONDS - t0)) s)"
t0=$SECONDS
unpacked=target/windows/unpacked
rm -rf "$unpacked"
python3 -m zipfile -e "$zip" "$unpacked"
(cd target/package && sha256sum -c --quiet "$(basename "$zip").sha256")
(cd "$unpacked" && sha256sum -c --quiet SHA256SUMS)
grep -q '  wsuscat\.exe$' "$unpacked/SHA256SUMS"
echo "   SHA256SUMS: all $(grep -c . "$unpacked/SHA256SUMS") files match, wsuscat.exe among them"
cmp "$exe" "$unpacked/wsuscat.exe"
# The ProcessPrng stub is Wine's scaffolding, never shipped.
if python3 -m zipfile -l "$zip" | grep -qi '\.dll'; then
  echo "windows.sh: the zip holds a DLL" >&2
  exit 1
fi
expect 1 wine "$unpacked/wsuscat.exe" check "${anchor[@]}" testdata/sample-wsusscn2.cab
echo "   (unpacked zip checked: $((SECONDS - t0)) s)"

# -- the same JSON, byte for byte, as the Linux build -------------------------
# cargo test built target/debug/wsuscat; both read each committed fixture.
echo "== check --format json on each committed fixture: wine wsuscat.exe vs Linux"
for cab in testdata/*.cab; do
  a=0 b=0
  target/debug/wsuscat check --format json "${anchor[@]}" "$cab" >target/windows/linux.json 2>/dev/null || a=$?
  wine "$exe" check --format json "${anchor[@]}" "$cab" >target/windows/wine.json 2>/dev/null || b=$?
  if [ "$a" != "$b" ] || ! cmp -s target/windows/linux.json target/windows/wine.json; then
    echo "   DIFFERENT: $cab (exit $a on Linux, $b under wine)"
    rc=1
  else
    echo "   same: $cab (exit $a, $(stat -c %s target/windows/wine.json) bytes of JSON)"
  fi
done
exit "$rc"
