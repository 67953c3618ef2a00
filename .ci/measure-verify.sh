#!/usr/bin/env bash
# verify against cabextract -t on the same catalog: wsuscat verify decodes the
# outer cabinet and every nested one; cabextract -t tests the outer cabinet,
# then (after the nested cabinets are extracted, untimed) each nested one.
# Median of 3 runs after a warm-up; peak RSS from /usr/bin/time.
#
#   bash .ci/measure-verify.sh CATALOG.cab
set -euo pipefail
cd "$(dirname "$0")/.."
cab=${1:?catalog}
cargo build --release --quiet
bin=target/release/wsuscat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cabextract -q -d "$tmp/inner" "$cab" >/dev/null
median() { sort -n | sed -n 2p; }
run3() { # command... -> "median_wall max_rss_mb"
  local walls=() rss=0 out
  "$@" >/dev/null 2>&1 || true
  for i in 1 2 3; do
    /usr/bin/time -o "$tmp/time" -f '%e %M' "$@" >/dev/null 2>&1 || true
    out=$(tail -1 "$tmp/time")
    walls+=("${out% *}"); r=${out#* }; (( r > rss )) && rss=$r
  done
  echo "$(printf '%s\n' "${walls[@]}" | median) $((rss / 1024))"
}
read -r vw vr < <(run3 "$bin" verify --quiet --allow-unsigned "$cab")
cabextract_all() { cabextract -q -t "$1" && for c in "$2"/*.cab; do cabextract -q -t "$c" || return 1; done; }
export -f cabextract_all
read -r cw cr < <(run3 bash -c 'cabextract_all "$0" "$1"' "$cab" "$tmp/inner")
echo "| command | wall s | peak RSS MB |"
echo "|---|---:|---:|"
echo "| wsuscat verify --allow-unsigned | $vw | $vr |"
echo "| cabextract -t (outer + every nested cab) | $cw | $cr |"
python3 -c "print('| ratio verify / cabextract -t | ' + str(round($vw/$cw, 2)) + 'x | |')"
