#!/usr/bin/env bash
# How often the verdict is not trustworthy because of Pareto k-hat alone (the
# tail check saying finite variance), on every proposal of every shipped
# scenario over seeds 1..SEEDS, beside how often the estimate is more than 1.96
# and 4 standard errors from the exact value (where P is known), and how often
# the region check from the draws spoke (a region the proposal did not visit:
# a false alarm on a proposal that covers every region).  A proposal whose
# k-hat-only demotions come with honest error bars (check with issim
# calibrate) is a false alarm.  Run from the top of a built tree:
#   tests/false-alarms.sh [N [SEEDS]]      (default 20000 draws, 40 seeds)
# issue 14 item 6.4; ISSIM=path overrides ./issim (e.g. an older build).
set -euo pipefail
n=${1:-20000}; seeds=${2:-40}; issim=${ISSIM:-./issim}
rows=$(mktemp); trap 'rm -f "$rows"' EXIT
for f in scenarios/*.ini; do
  s=$(basename "$f" .ini)
  for seed in $(seq 1 "$seeds"); do
    "$issim" run "$f" --format json --quiet --threads 2 --samples "$n" --seed "$seed" 2>/dev/null |
      jq -r --arg s "$s" '.results[] | [$s + "/" + .proposal, .verdict, .tail_check, (.z_exact|tostring),
        ([.warnings[]|select(test("k-hat"))]|length),
        ([.warnings[]|select(test("k-hat|standard errors from the exact")|not)]|length),
        ([.warnings[]|select(test("^from the draws"))]|length)] | @tsv' >>"$rows"
  done
done
awk -F'\t' '{k=$1; n[k]++; if($2!="trustworthy") nt[k]++; if($5>0 && $6==0 && $3=="finite") only[k]++;
  if($7>0) drawn[k]++;
  if($4!="null"){ if($4<-1.96||$4>1.96) out[k]++; if(($4<-4||$4>4) && $2=="trustworthy") bad[k]++ } }
  END{for(k in n) if(nt[k]>0 || bad[k]>0) printf "%-30s runs %3d  not trustworthy %3d  k-hat alone %3d  regions from the draws %3d  |z|>1.96 %3d  trustworthy with |z|>4 %d\n",
      k, n[k], nt[k], only[k], drawn[k], out[k], bad[k]; }' "$rows" | sort
awk -F'\t' '$5>0 && $6==0 && $3=="finite" {a++} $7>0 {r++} END{printf "total: %d runs, k-hat alone (tail check finite) in %d, the region check from the draws in %d\n", NR, a, r}' "$rows"
