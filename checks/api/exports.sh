#!/bin/sh
# exports.sh NM LIBRARY HEADER CC [CFLAGS...]: the shared library exports
# exactly the functions the public header declares, both ways.
set -u
nm=$1 lib=$2 header=$3
shift 3
declared=$(mktemp) exported=$(mktemp)
trap 'rm -f "$declared" "$exported"' EXIT
# The preprocessed header, without comments: each gv_ name followed by "(".
"$@" -E -P "$header" | grep -oE '\bgv_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u >"$declared"
"$nm" -D --defined-only "$lib" | awk '$2 ~ /^[TtWiDdBbRr]$/ {print $3}' |
  sed 's/@.*//' | grep -v '^GRADVERIFY_' | sort -u >"$exported"
if [ ! -s "$declared" ]; then
  echo "exports: no declaration found in $header"
  exit 1
fi
if cmp -s "$declared" "$exported"; then
  echo "exports: $(wc -l <"$exported") symbols, exactly the declarations of $header"
  exit 0
fi
echo "exports: $lib and $header disagree (< declared only, > exported only):"
diff "$declared" "$exported" | grep '^[<>]'
exit 1
