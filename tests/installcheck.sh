#!/bin/sh
# installcheck.sh: `make installcheck` (and so `make distcheck`): the installed
# issim as a user meets it.
#   - a program that includes <issim.h> builds with pkg-config's flags alone and
#     runs, linked against the shared library, and statically (pkg-config
#     --static: OpenMP and the private libraries);
#   - the installed command runs without LD_LIBRARY_PATH (its run path) and
#     says its version;
#   - the manual page is installed and formats without a warning.
# Arguments: srcdir prefix libdir bindir mandir CC VERSION.
set -eu
srcdir=$1 prefix=$2 libdir=$3 bindir=$4 mandir=$5 cc=$6 version=$7
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "installcheck: FAIL: $*" >&2; exit 1; }
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
scenario="$srcdir/scenarios/gaussian-5sigma.ini"

pkg-config --exists issim || fail "pkg-config does not find issim in $libdir/pkgconfig"
[ "$(pkg-config --modversion issim)" = "$version" ] || fail "pkg-config's version is not $version"
cflags=$(pkg-config --cflags issim)
for h in issim.h issim/issim.h; do
  printf '#include <%s>\nint main(void) { return 0; }\n' "$h" >"$tmp/h.c"
  # shellcheck disable=SC2086
  $cc -std=c11 -Wall -Wextra -Werror $cflags -c "$tmp/h.c" -o "$tmp/h.o" ||
    fail "#include <$h> does not compile with pkg-config --cflags issim ($cflags)"
done

# shared: the program finds libissim.so through LD_LIBRARY_PATH, as any
# program built against a library outside the loader's path does (or after
# ldconfig, when libdir is in /etc/ld.so.conf); -lm for the program's own exp
# shellcheck disable=SC2046
$cc -std=c11 $cflags "$srcdir/tests/installcheck.c" -o "$tmp/shared" $(pkg-config --libs issim) -lm ||
  fail "cannot link against the shared library with pkg-config --libs issim"
LD_LIBRARY_PATH="$libdir" "$tmp/shared" "$scenario" || fail "the shared program failed"
LD_LIBRARY_PATH="$libdir" ldd "$tmp/shared" | grep -q "libissim.so" ||
  fail "the shared program does not use libissim.so"

# static: libissim.a and every library it needs, from pkg-config --static
# shellcheck disable=SC2046
$cc -std=c11 $(pkg-config --static --cflags issim) "$srcdir/tests/installcheck.c" -o "$tmp/static" \
  -static $(pkg-config --static --libs issim) ||
  fail "cannot link statically with pkg-config --static --libs issim"
ldd "$tmp/static" 2>&1 | grep -q "libissim" && fail "the static program loads libissim.so"
"$tmp/static" "$scenario" || fail "the static program failed"

# the command: no LD_LIBRARY_PATH; GNU --version
env -u LD_LIBRARY_PATH "$bindir/issim" --version >"$tmp/version" ||
  fail "$bindir/issim cannot run without LD_LIBRARY_PATH (is its run path $libdir?)"
head -n 1 "$tmp/version" | grep -qx "issim $version" ||
  fail "--version's first line is not 'issim $version': $(head -n 1 "$tmp/version")"

# the manual page
page="$mandir/man1/issim.1"
[ -f "$page" ] || fail "no manual page at $page"
if command -v groff >/dev/null 2>&1; then
  warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || fail "groff cannot format $page"
  [ -z "$warnings" ] || fail "groff warns about $page: $warnings"
fi
if command -v man >/dev/null 2>&1; then
  MANPATH="$mandir" man -P cat issim 2>/dev/null | grep -q "importance" ||
    fail "man issim (MANPATH=$mandir) does not show the page"
fi
echo "installcheck: <issim.h> with pkg-config, shared and static programs, issim --version and man issim: all pass"
