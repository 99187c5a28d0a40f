#!/bin/sh
# The README's two commands.  CI (.ci/run) must run exactly the README's test
# command.  The set-up command starts with ./install-deps, which must work as root
# (apt-get directly: no sudo on the machine) and as a user with sudo (apt-get
# through sudo), and install nothing when every package is there.  apt-get,
# sudo, id and dpkg-query are replaced by stubs that log what they are asked.
set -eu
top=${srcdir:-.}
script="$top/install-deps"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir "$tmp/bin"
# id -u prints $STUB_UID; dpkg-query says every package is installed unless
# $STUB_MISSING names it; sudo and apt-get log their arguments.
cat >"$tmp/bin/id" <<'STUB'
#!/bin/sh
echo "$STUB_UID"
STUB
cat >"$tmp/bin/dpkg-query" <<'STUB'
#!/bin/sh
for p; do :; done
case " $STUB_MISSING " in *" $p "*) exit 1 ;; esac
printf 'install ok installed'
STUB
cat >"$tmp/bin/sudo" <<'STUB'
#!/bin/sh
echo "sudo $*" >>"$STUB_LOG"
exec "$@"
STUB
cat >"$tmp/bin/apt-get" <<'STUB'
#!/bin/sh
echo "apt-get $*" >>"$STUB_LOG"
STUB
chmod +x "$tmp/bin/"*

run() { # uid, missing packages, whether sudo exists, then the script's arguments
  uid=$1 missing=$2 sudo=$3
  shift 3
  : >"$tmp/log"
  rm -f "$tmp/bin/sudo.off"
  [ "$sudo" = yes ] || mv "$tmp/bin/sudo" "$tmp/bin/sudo.off"
  # /usr/bin/env and the shell are needed; no real sudo or apt-get is reachable
  # through this PATH
  mkdir -p "$tmp/sys"
  for t in sh env sed cat dirname; do ln -sf "$(command -v $t)" "$tmp/sys/$t"; done
  status=0
  STUB_UID=$uid STUB_MISSING=$missing STUB_LOG="$tmp/log" PATH="$tmp/bin:$tmp/sys" \
    sh "$script" "$@" >"$tmp/out" 2>&1 || status=$?
  [ -f "$tmp/bin/sudo.off" ] && mv "$tmp/bin/sudo.off" "$tmp/bin/sudo"
  return 0
}

# root: apt-get itself, only the missing packages
run 0 "libgsl-dev tmux" yes
[ "$status" = 0 ] || fail "as root: exit status $status: $(cat "$tmp/out")"
grep -q '^sudo' "$tmp/log" && fail "as root, sudo was called: $(cat "$tmp/log")"
grep -q '^apt-get install .* libgsl-dev tmux$' "$tmp/log" ||
  fail "as root, apt-get install was not asked for the missing packages: $(cat "$tmp/log")"

# a user with sudo: apt-get through sudo
run 1000 "check" yes
[ "$status" = 0 ] || fail "as a sudo user: exit status $status: $(cat "$tmp/out")"
grep -q '^sudo env DEBIAN_FRONTEND=noninteractive apt-get install .* check$' "$tmp/log" ||
  fail "as a sudo user, apt-get install did not go through sudo: $(cat "$tmp/log")"

# a user without sudo, with something missing: a clear message, status 1
run 1000 "check" no
[ "$status" = 1 ] || fail "without sudo: exit status $status, want 1"
grep -q 'needs root' "$tmp/out" || fail "without sudo: no explanation: $(cat "$tmp/out")"
[ -s "$tmp/log" ] && fail "without sudo, something was run: $(cat "$tmp/log")"

# everything installed: nothing run, no privilege needed
run 1000 "" no
[ "$status" = 0 ] || fail "all installed: exit status $status: $(cat "$tmp/out")"
[ -s "$tmp/log" ] && fail "all installed, something was run: $(cat "$tmp/log")"

# --mpi adds Open MPI, only then
run 0 "openmpi-bin libopenmpi-dev" yes --mpi
grep -q '^apt-get install .* openmpi-bin libopenmpi-dev$' "$tmp/log" ||
  fail "--mpi did not install Open MPI: $(cat "$tmp/log")"
run 0 "openmpi-bin libopenmpi-dev" yes
[ -s "$tmp/log" ] && fail "without --mpi, something was installed: $(cat "$tmp/log")"

# a wrong option: status 2, nothing run
run 0 "check" yes --nonsense
[ "$status" = 2 ] || fail "an unknown option: exit status $status, want 2"
[ -s "$tmp/log" ] && fail "an unknown option, something was run: $(cat "$tmp/log")"
echo "install-deps: root, sudo user, no sudo, nothing missing: all as expected"

# The README's commands: the first sh block after "## Two commands" is the
# set-up, the second the tests.
blocks=$(awk '/^## Two commands/ {on = 1; next} !on {next}
              /^```sh/ {b++; inside = 1; next} /^```/ {inside = 0; if (b == 2) exit; next}
              inside && NF {print b ": " $0}' "$top/README.md")
setup=$(printf '%s\n' "$blocks" | sed -n 's/^1: //p')
tests=$(printf '%s\n' "$blocks" | sed -n 's/^2: //p')
case $setup in
  "./install-deps && "*) ;;
  *) fail "the README's set-up command does not start with ./install-deps: '$setup'" ;;
esac
[ -n "$tests" ] || fail "no test command found in the README"
grep -qxF "$tests || status=\$?" "$top/.ci/run" ||
  fail ".ci/run does not run the README's test command '$tests' as it is"
echo "README: set-up through ./install-deps; .ci/run runs '$tests'"
