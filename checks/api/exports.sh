#!/bin/sh
# exports.sh NM LIBRARY HEADER... -- CC [CFLAGS...]: the shared library exports
# exactly the functions the installed headers declare, both ways.
set -u
nm=$1 lib=$2
shift 2
headers=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do headers="$headers $1"; shift; done
shift
declared=$(mktemp) exported=$(mktemp)
trap 'rm -f "$declared" "$exported"' EXIT
# Each preprocessed header, without comments: each gv_ name followed by "(",
# but for the static (inline) functions a header defines, which no library exports.
names() { grep -oE '\bgv_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u; }
statics=$(mktemp)
trap 'rm -f "$declared" "$exported" "$statics"' EXIT
# Only what each header itself says, not what it includes: keep the lines the
# preprocessor's line markers attribute to that header.
for h in $headers; do
  "$@" -E "$h" | awk -v h="$(basename "$h")" '
    /^# [0-9]+ "/ { f = $3; gsub(/"/, "", f); n = split(f, p, "/"); own = (p[n] == h); next }
    own'
done >"$statics.all"
grep -E '\bstatic\b' "$statics.all" | names >"$statics"
names <"$statics.all" | comm -23 - "$statics" >"$declared"
rm -f "$statics.all"
"$nm" -D --defined-only "$lib" | awk '$2 ~ /^[TtWiDdBbRr]$/ {print $3}' |
  sed 's/@.*//' | grep -v '^GRADVERIFY' | sort -u >"$exported"
if [ ! -s "$declared" ]; then
  echo "exports: no declaration found in$headers"
  exit 1
fi
if cmp -s "$declared" "$exported"; then
  echo "exports: $(wc -l <"$exported") symbols, exactly the declarations of$headers"
  exit 0
fi
echo "exports: $lib and$headers disagree (< declared only, > exported only):"
diff "$declared" "$exported" | grep '^[<>]'
exit 1
