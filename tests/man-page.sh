#!/bin/sh
# The manual page against the command: every command and option that
# `issim --help` lists is in man/issim.1.in, and the page formats without a
# warning; `issim --version` is in the GNU form (the program and its version
# on the first line).
set -eu
top=${srcdir:-.}
page="$top/man/issim.1.in"
fail() { echo "FAIL: $*" >&2; exit 1; }
./issim --help >help.tmp.$$ || fail "issim --help failed"
trap 'rm -f help.tmp.$$' EXIT
# the page writes every '-' of an option as '\-'
options=$(grep -o -- '--[a-z][a-z-]*' help.tmp.$$ | sort -u)
[ -n "$options" ] || fail "no option found in issim --help"
for opt in $options; do
  escaped=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
  grep -q -- "$escaped" "$page" || fail "the manual page lacks $opt (as $escaped)"
done
for cmd in $(sed -n 's/^ *\(usage:\)\{0,1\} *issim \([a-z][a-z]*\) SCENARIO.*/\2/p' help.tmp.$$ | sort -u); do
  grep -qx "\.BI $cmd \" SCENARIO\"" "$page" || fail "the manual page does not describe 'issim $cmd'"
done
if command -v groff >/dev/null 2>&1; then
  warnings=$(sed -e 's/@[A-Za-z]*@/x/g' "$page" | groff -man -Tutf8 -ww -z 2>&1) ||
    fail "groff cannot format the page"
  [ -z "$warnings" ] || fail "groff warns: $warnings"
fi
version=$(./issim --version | head -n 1)
printf '%s\n' "$version" | grep -Eqx 'issim [0-9]+(\.[0-9]+)*' ||
  fail "--version's first line is not 'issim VERSION': '$version'"
echo "man page: $(echo "$options" | wc -w) options of --help, every command; $version"
