#!/usr/bin/env bash
# Records or checks every command's output on every shipped scenario, timings
# aside: the guard of a redesign that must not change a digit.
#   tests/golden.sh record DIR   write the outputs into DIR
#   tests/golden.sh check DIR    compare against DIR; exit 1 on any difference
# Run from the top of a built tree (it uses ./issim).  Two threads, fixed seeds.
set -euo pipefail
mode=${1:?record or check}; ref=${2:?directory}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
# Timings and rates change from run to run; everything else must not.
# compare's rank follows the efficiency (draws per second), so compare's
# outputs are checked in proposal order, without the rank.
timed='seconds|draws_per_second|efficiency|log10_gain_over_crude_work'
strip() { sed -E -e "/\"($timed)\"/d" \
                 -e 's/[0-9.]+ (s|ms|seconds)\b/<t>/g' \
                 -e 's/[0-9.e+-]+ (million|M draws)\/s/<rate>/g'; }
by_proposal() { local t; t=$(cat); jq -S '((.ranking // empty) |= (sort_by(.proposal) | map(del(.rank)))) | ((.results // empty) |= (if type == "array" then map(del(.rank)?) else . end))' <<<"$t" 2>/dev/null || printf '%s\n' "$t"; }
csv_strip() { awk -F, -v OFS=, '/^rank,/{for(i=1;i<=NF;i++) if($i ~ /^(rank|seconds|draws_per_second|efficiency|log10_gain_over_crude_work)$/) drop[i]=1}
  {line=""; for(i=1;i<=NF;i++) if(!drop[i]) line=line (line==""?"":",") $i; print line}' | sort; }
for f in scenarios/*.ini; do
  n=$(basename "$f" .ini)
  ./issim run "$f" --format json --quiet --threads 2 --samples 20000 2>&1 | strip >"$out/$n.run.json" || true
  ./issim run "$f" --quiet --threads 2 --samples 20000 2>&1 | strip >"$out/$n.run.txt" || true
  ./issim compare "$f" --format json --quiet --threads 2 --samples 20000 2>"$out/$n.compare.err" | strip | by_proposal >"$out/$n.compare.json" || true
  ./issim compare "$f" --format csv --quiet --threads 2 --samples 20000 2>&1 | csv_strip >"$out/$n.compare.csv" || true
  ./issim calibrate "$f" --format json --quiet --threads 2 --samples 2000 --reps 8 2>&1 | strip >"$out/$n.calibrate.json" || true
  ./issim divergence "$f" --format json --quiet --threads 2 --samples 20000 2>&1 | strip >"$out/$n.divergence.json" || true
  ./issim adapt "$f" --format json --quiet --threads 2 --samples 20000 --level-draws 4000 2>&1 | strip >"$out/$n.adapt.json" || true
done
# The shipped settings too, for run's JSON (the issue's own yardstick).
for f in scenarios/*.ini; do
  n=$(basename "$f" .ini)
  ./issim run "$f" --format json --quiet 2>&1 | strip >"$out/$n.run-full.json" || true
done
case $mode in
  record) rm -rf "$ref"; mkdir -p "$ref"; cp "$out"/* "$ref"/ ;;
  check) diff -r "$ref" "$out" && echo "golden: all $(ls "$out" | wc -l) outputs identical" ;;
  *) echo "usage: $0 record|check DIR" >&2; exit 2 ;;
esac
