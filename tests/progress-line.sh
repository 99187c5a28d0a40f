#!/bin/sh
# The progress line in a real terminal: tmux at 80 columns runs issim, and the
# screen must hold one line that never wraps, redrawn in place (a line wider
# than the terminal wraps, and every refresh then scrolls a new one), with the
# whole command's percentage and time left; at 40 columns too.  Skipped (77)
# without tmux (./install-deps installs it).
set -eu
top=${srcdir:-.}
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
issim=$(pwd)/issim
session="issim-progress-$$"
sock="${TMPDIR:-/tmp}/issim-tmux-$$"
tmp=$(mktemp -d)
cleanup() { tmux -S "$sock" kill-server 2>/dev/null || true; rm -rf "$tmp" "$sock"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

check_width() { # columns
  cols=$1
  tmux -S "$sock" kill-server 2>/dev/null || true
  # a run of some seconds on one thread; stdout (the report) thrown away
  tmux -S "$sock" new-session -d -s "$session" -x "$cols" -y 20 \
    "TERM=xterm '$issim' run '$top/scenarios/gaussian-5sigma.ini' --samples 1e9 --threads 1 >/dev/null"
  tmux -S "$sock" resize-window -t "$session" -x "$cols" -y 20 2>/dev/null || true
  # wait for the line (it appears after a second), up to 30 s
  i=0
  while :; do
    tmux -S "$sock" capture-pane -p -t "$session" >"$tmp/screen" 2>/dev/null || true
    grep -q 'left' "$tmp/screen" && break
    i=$((i + 1))
    [ "$i" -lt 60 ] || fail "no progress line after 30 s at $cols columns: $(cat "$tmp/screen")"
    sleep 0.5
  done
  # two looks, some refreshes apart: one line each time, never wider than
  # the terminal, with the percentage and the time left
  for look in 1 2; do
    sleep 1.5
    tmux -S "$sock" capture-pane -p -t "$session" >"$tmp/screen"
    lines=$(grep -c . "$tmp/screen" || true)
    [ "$lines" = 1 ] || fail "$lines lines on the screen at $cols columns (want one): $(cat "$tmp/screen")"
    line=$(grep . "$tmp/screen")
    [ "${#line}" -lt "$cols" ] || fail "the line fills the $cols columns: '$line'"
    printf '%s\n' "$line" | grep -Eq '^[0-9]+%, [0-9.]+ (s|min|h) left' ||
      fail "the line does not start with the percentage and the time left: '$line'"
    echo "$cols columns, look $look: '$line'"
  done
  tmux -S "$sock" kill-server
}
check_width 80
check_width 40
