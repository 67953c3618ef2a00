#!/usr/bin/env bash
# Runs one fuzz target under AFL++ for a given time and prints its stats.
#
#   bash fuzz/run.sh cab_pipeline 30m   # target, duration (AFL -V: 30m = 1800 s)
#   bash fuzz/run.sh signature 30m
#
# Needs cargo-afl (`cargo install cargo-afl`; it builds AFL++ itself).
# Seeds: fuzz/seeds/TARGET plus, when present, ../shared/cab-corpus (read in
# place, never copied into the project). Findings go to
# ${WSUSCAT_FUZZ_OUT:-/tmp/wsuscat-fuzz}/TARGET; every crash must become a
# test in tests/it/regression.rs.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?target: cab_pipeline or signature}
duration=${2:-30m}
case $duration in
  *m) seconds=$(( ${duration%m} * 60 ));;
  *s) seconds=${duration%s};;
  *) seconds=$duration;;
esac
out=${WSUSCAT_FUZZ_OUT:-/tmp/wsuscat-fuzz}/$target
seeds=$(mktemp -d)
cp seeds/"$target"/* "$seeds"/
corpus=../../shared/cab-corpus
if [ -d "$corpus" ]; then
  # Small corpus files only: AFL works best on small inputs.
  find "$corpus" -name '*.cab' -size -8k -exec cp {} "$seeds"/ \;
fi
cargo afl build --release --quiet
mkdir -p "$out"
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
  cargo afl fuzz -V "$seconds" -i "$seeds" -o "$out" -- target/release/"$target" > "$out/afl.log" 2>&1 || true
rm -rf "$seeds"
stats="$out/default/fuzzer_stats"
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|stability|bitmap_cvg)' "$stats"
