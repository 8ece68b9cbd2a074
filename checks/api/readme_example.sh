#!/bin/sh
# readme_example.sh README FILE [MARKER]: the README's copy between
# <!-- begin MARKER --> and <!-- end MARKER --> (inside a code fence) must be
# FILE, byte for byte. MARKER defaults to the example program's path.
set -u
marker=${3:-checks/api/example_check.c}
extracted=$(mktemp)
trap 'rm -f "$extracted"' EXIT
sed -n "\|^<!-- begin $marker -->\$|,\|^<!-- end $marker -->\$|p" "$1" |
  sed '1,2d;$d' | sed '$d' >"$extracted"
if cmp -s "$extracted" "$2"; then
  echo "README copy matches $2"
else
  echo "README copy differs from $2:"
  diff "$extracted" "$2"
  exit 1
fi
