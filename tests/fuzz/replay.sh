#!/bin/sh
# make check: every seed and every kept crasher through each fuzz harness
# (tests/fuzz/replay.c), the scenario harness also over scenarios/.
srcdir=${srcdir:-.}
d=$srcdir/tests/fuzz
./tests/fuzz/replay_scenario "$d/corpus/scenario" "$d/crashers/scenario" "$srcdir/scenarios" &&
./tests/fuzz/replay_expr "$d/corpus/expr" "$d/crashers/expr" &&
./tests/fuzz/replay_cli "$d/corpus/cli" "$d/crashers/cli"
