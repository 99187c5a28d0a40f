#!/bin/sh
# Every relative link of README.md and docs/*.md names a file of the
# repository (a clone has nothing beside it), and every #anchor of a link to
# a Markdown file names one of its headings (GitHub's rule: lower case,
# punctuation but '-' and '_' dropped, spaces to '-').
set -eu
top=${srcdir:-.}
status=0
anchors() { # the anchors of a Markdown file's headings
  sed -n 's/^#\{1,6\} \(.*\)/\1/p' "$1" | tr 'A-Z' 'a-z' |
    sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g'
}
for f in "$top/README.md" "$top"/docs/*.md; do
  dir=$(dirname "$f")
  # ](target) of inline links; code spans are left out first
  sed -e 's/`[^`]*`//g' "$f" | grep -o '](\([^)]*\))' | sed 's/^](\(.*\))$/\1/' |
  while IFS= read -r link; do
    case $link in http://*|https://*|mailto:*) continue ;; esac
    path=${link%%#*}
    anchor=
    case $link in *'#'*) anchor=${link#*#} ;; esac
    if [ -z "$path" ]; then target=$f; else target="$dir/$path"; fi
    if [ ! -e "$target" ]; then
      echo "$f: link to '$link': no such file in the repository" >&2
      echo x
      continue
    fi
    case $(cd "$(dirname "$target")" && pwd -P)/ in
      "$(cd "$top" && pwd -P)"/*) ;;
      *) echo "$f: link to '$link' leaves the repository" >&2; echo x; continue ;;
    esac
    case $target in *.md) ;; *) continue ;; esac
    if [ -n "$anchor" ] && ! anchors "$target" | grep -qxF -- "$anchor"; then
      echo "$f: link to '$link': no heading with that anchor in $target" >&2
      echo x
    fi
  done
done >"${TMPDIR:-/tmp}/doc-links.$$"
bad=$(wc -l <"${TMPDIR:-/tmp}/doc-links.$$")
rm -f "${TMPDIR:-/tmp}/doc-links.$$"
[ "$bad" = 0 ] || { echo "doc-links: $bad broken links" >&2; exit 1; }
echo "doc-links: every link of README.md and docs/*.md resolves inside the repository"
