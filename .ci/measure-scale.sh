#!/usr/bin/env bash
# Measures `wsuscat check` at 10k, 136k (full scale) and 400k updates
# (peak memory of every command at 1x and 3x is .ci/measure-memory.py's):
# median wall time of 3 runs after a warm-up, and peak RSS, for --threads 1
# and --threads 2. Prints a Markdown table (docs/performance.md keeps it).
#
#   bash .ci/measure-scale.sh [WORKDIR]
#
# Catalogs are MSZIP inside and out, as when this table was first measured
# (the generator's LZX encoder was then too slow for 400k updates);
# .ci/bench.sh measures LZX catalogs beside the peers.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/wsuscat-scale}
mkdir -p "$work"
cargo build --release --quiet
bin=target/release/wsuscat

measure() { # file threads -> "wall_s rss_mb"
  local f=$1 t=$2 i out walls=() rss=0
  # Warm-up; it must find the injected update (exit 1), or the timings below
  # would be of an error path.
  local code=0
  "$bin" check --quiet --allow-unsigned --threads "$t" "$f" || code=$?
  if [ "$code" -ne 1 ]; then echo "check exited $code on $f, expected 1" >&2; exit 1; fi
  for i in 1 2 3; do
    out=$( { /usr/bin/time -f '%e %M' "$bin" check --quiet --allow-unsigned --threads "$t" "$f" || true; } 2>&1 | tail -1)
    walls+=("${out% *}")
    r=${out#* }; (( r > rss )) && rss=$r
  done
  printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 2p)" "$((rss / 1024))"
}

echo "| updates | package.xml MB | cab MB | threads 1: wall s | threads 1: peak RSS MB | threads 2: wall s | threads 2: peak RSS MB | speed-up |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in 10000 136000 400000; do
  f="$work/mszip-$n.cab"
  if [ ! -f "$f" ]; then
    line=$("$bin" generate --seed 7 --updates "$n" --outer mszip --inner mszip --inject 1293995=PreDeploymentCheck -o "$f")
  fi
  read -r w1 r1 < <(measure "$f" 1)
  read -r w2 r2 < <(measure "$f" 2)
  size_mb=$(python3 -c "import os;print(round(os.path.getsize('$f')/1e6,1))")
  xml_mb=$(python3 - "$f" <<'PY'
import sys, subprocess, tempfile, os
d = tempfile.mkdtemp()
subprocess.run(["cabextract", "-q", "-d", d, "-F", "package.cab", sys.argv[1]], check=True)
out = subprocess.run(["cabextract", "-q", "-p", os.path.join(d, "package.cab")], check=True, capture_output=True).stdout
print(round(len(out) / 1e6, 1))
PY
)
  speedup=$(python3 -c "print(round($w1/$w2,2))")
  echo "| $n | $xml_mb | $size_mb | $w1 | $r1 | $w2 | $r2 | ${speedup}x |"
done
