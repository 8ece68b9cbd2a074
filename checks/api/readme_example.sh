#!/bin/sh
# readme_example.sh README EXAMPLE: the README's copy of the example program
# must be the file that meson builds and runs, byte for byte.
set -u
extracted=$(mktemp)
trap 'rm -f "$extracted"' EXIT
sed -n '/^<!-- begin checks\/api\/example_check.c -->$/,/^<!-- end checks\/api\/example_check.c -->$/p' "$1" |
  sed '1,2d;$d' | sed '$d' >"$extracted"
if cmp -s "$extracted" "$2"; then
  echo "README example matches $2"
else
  echo "README example differs from $2:"
  diff "$extracted" "$2"
  exit 1
fi
