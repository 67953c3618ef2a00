#!/usr/bin/env bash
# Release packages: the Windows zip and the Linux tarball, from binaries
# already built. .ci/windows.sh packages CI's [profile.ci] exe and .ci/run
# its [profile.ci] Linux build; a release packages the --release builds:
#
#     bash .ci/package.sh                    # both, from the release builds
#     bash .ci/package.sh --profile ci       # both, from the [profile.ci] builds
#     bash .ci/package.sh --only windows --exe path/to/wsuscat.exe --bin target/debug/wsuscat
#
# writes into target/package/:
#
#     wsuscat-VERSION-x86_64-pc-windows-gnu.zip       (and .zip.sha256)
#     wsuscat-VERSION-x86_64-unknown-linux-gnu.tar.gz (and .tar.gz.sha256)
#
# The zip holds its files at the top (Expand-Archive -DestinationPath
# 'C:\Program Files\wsuscat' puts wsuscat.exe right there); the tarball holds
# one folder named like it, as Unix tarballs do. Both hold README.md, docs/,
# LICENSE-MIT, LICENSE-APACHE, completions/ (PowerShell with a UTF-8 BOM,
# bash, zsh, fish) and SHA256SUMS: the SHA-256 of every other file in the
# package, in `sha256sum -c` form. The tarball adds man/man1/.
#
# Completions and man pages come from running the Linux binary (--bin): the
# same clap definitions as the exe's. VERSION is Cargo.toml's. Archives are
# deterministic: entries sorted, every timestamp the last commit's
# (SOURCE_DATE_EPOCH when set), no owner names, gzip without a name or time.
# Needs python3 only (zipfile, tarfile): no zip package.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  echo "options: --profile NAME (default release), --exe FILE, --bin FILE, --only windows|linux, --out DIR" >&2
  exit "${1:-2}"
}
profile=release exe="" bin="" only="" out=target/package
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=${2:?}; shift 2 ;;
    --exe) exe=${2:?}; shift 2 ;;
    --bin) bin=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "package.sh: unknown argument $1" >&2; usage ;;
  esac
done
case "$only" in "" | windows | linux) ;; *) usage ;; esac
exe=${exe:-target/windows/x86_64-pc-windows-gnu/$profile/wsuscat.exe}
bin=${bin:-target/$profile/wsuscat}

if [ ! -x "$bin" ]; then
  echo "package.sh: no Linux binary at $bin; build it with:" >&2
  echo "    cargo build --locked --profile $profile" >&2
  exit 2
fi
if [ "$only" != linux ] && [ ! -f "$exe" ]; then
  echo "package.sh: no wsuscat.exe at $exe; build it as docs/windows.md says, with --profile $profile" >&2
  exit 2
fi

version=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["package"]["version"])')
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 315532800)}
mkdir -p "$out"
stage_root=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage_root"' EXIT

# The files both packages share, into $1.
common() {
  local dir=$1
  mkdir -p "$dir/completions"
  cp README.md LICENSE-MIT LICENSE-APACHE "$dir/"
  cp -r docs "$dir/docs"
  # Windows PowerShell 5.1 reads a .ps1 without a BOM in the ANSI code page;
  # the script is ASCII already (src/bin/wsuscat/completions.rs), the BOM
  # keeps it right if it ever is not.
  { printf '\xef\xbb\xbf'; "$bin" completions powershell; } >"$dir/completions/wsuscat.ps1"
  "$bin" completions bash >"$dir/completions/wsuscat.bash"
  "$bin" completions zsh >"$dir/completions/_wsuscat"
  "$bin" completions fish >"$dir/completions/wsuscat.fish"
}

# SHA256SUMS in $1: every file under it, sorted, '/'-separated paths.
sums() {
  (cd "$1" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort |
    xargs -d '\n' sha256sum >SHA256SUMS)
}

# archive FORMAT DIR FILE [PREFIX]: DIR's files into FILE, deterministic.
archive() {
  python3 - "$@" "$epoch" <<'EOF'
import gzip, io, os, sys, tarfile, time, zipfile
fmt, src, dst, *rest = sys.argv[1:]
prefix, epoch = (rest[0], int(rest[1])) if len(rest) == 2 else ("", int(rest[0]))
files = []
for root, dirs, names in os.walk(src):
    for n in names:
        files.append(os.path.relpath(os.path.join(root, n), src).replace(os.sep, "/"))
files.sort()
def mode(path):
    return 0o755 if os.access(os.path.join(src, path), os.X_OK) else 0o644
tmp = dst + ".tmp"
if fmt == "zip":
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for f in files:
            info = zipfile.ZipInfo(f, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100000 | mode(f)) << 16
            info.create_system = 3  # Unix, so that the mode above is read
            with open(os.path.join(src, f), "rb") as fh:
                z.writestr(info, fh.read(), compresslevel=9)
else:
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as t:
            def entry(name, isdir, size=0):
                info = tarfile.TarInfo(name)
                info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
                if isdir:
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                else:
                    info.size = size
                return info
            seen = set()
            for f in files:
                parts = f.split("/")[:-1]
                for i in range(len(parts) + 1):
                    d = "/".join([prefix] + parts[:i])
                    if d not in seen:
                        seen.add(d)
                        t.addfile(entry(d, True))
                path = os.path.join(src, f)
                info = entry(prefix + "/" + f, False, os.path.getsize(path))
                info.mode = mode(f)
                with open(path, "rb") as fh:
                    t.addfile(info, fh)
os.replace(tmp, dst)
EOF
  (cd "$(dirname "$3")" && sha256sum "$(basename "$3")" >"$(basename "$3").sha256")
  echo "   $3 ($(stat -c %s "$3") bytes)"
}

if [ "$only" != linux ]; then
  name=wsuscat-$version-x86_64-pc-windows-gnu
  dir=$stage_root/$name
  common "$dir"
  cp "$exe" "$dir/wsuscat.exe"
  chmod 0755 "$dir/wsuscat.exe"
  sums "$dir"
  archive zip "$dir" "$out/$name.zip"
fi
if [ "$only" != windows ]; then
  name=wsuscat-$version-x86_64-unknown-linux-gnu
  dir=$stage_root/$name
  common "$dir"
  cp "$bin" "$dir/wsuscat"
  chmod 0755 "$dir/wsuscat"
  mkdir -p "$dir/man/man1"
  "$bin" man --dir "$dir/man/man1"
  sums "$dir"
  archive tar "$dir" "$out/$name.tar.gz" "$name"
fi
