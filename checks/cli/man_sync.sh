#!/bin/sh
# man_sync.sh GRADVERIFY MANPAGE: the man page documents exactly the options
# that `gradverify --help` lists (short and long, both ways), whatever the
# prose. It first proves it has teeth: a copy of the man page without its
# first option must be reported.
set -u
exe=$1 man=$2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
# Options as words: --long and -s, from the help text and from the troff
# source (where "-" is written "\-").
"$exe" --help >"$tmp/help.txt" || { echo "man_sync: $exe --help failed"; exit 1; }
options() { grep -oE '(^|[^[:alnum:]-])--?[[:alpha:]][[:alnum:]-]*' "$1" | sed 's/^[^-]*//' | sort -u; }
from_man() { sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1" >"$tmp/man.txt" && options "$tmp/man.txt"; }
options "$tmp/help.txt" >"$tmp/help.opts"
[ -s "$tmp/help.opts" ] || { echo "man_sync: no option found in --help"; exit 1; }

# Teeth: drop the first .TP item's option line; the comparison must object.
awk '/^\.TP$/ && !done {getline; done = 1; next} {print}' "$man" >"$tmp/cut.1"
from_man "$tmp/cut.1" >"$tmp/cut.opts"
if cmp -s "$tmp/help.opts" "$tmp/cut.opts"; then
  echo "man_sync: a man page missing an option was not noticed"; exit 1
fi

# Every layer --list shows is named in --help and in the man page (the
# layers --only accepts).
"$exe" --list | grep -v '^ ' | cut -d: -f1 | grep -vx seed >"$tmp/layers"
[ -s "$tmp/layers" ] || { echo "man_sync: --list shows no layer"; exit 1; }
sed 's/\\f[BIRP]//g' "$man" >"$tmp/man_words.txt"
while read -r layer; do
  for f in "$tmp/help.txt" "$tmp/man_words.txt"; do
    grep -qw -- "$layer" "$f" || { echo "man_sync: layer $layer missing from $f"; exit 1; }
  done
done <"$tmp/layers"

from_man "$man" >"$tmp/man.opts"
if cmp -s "$tmp/help.opts" "$tmp/man.opts"; then
  echo "man_sync: $(wc -l <"$tmp/man.opts") options, the same in --help and $man"
  exit 0
fi
echo "man_sync: --help and $man disagree (< --help only, > man page only):"
diff "$tmp/help.opts" "$tmp/man.opts" | grep '^[<>]'
exit 1
