#!/bin/bash
# full_disk.sh GRADVERIFY SHIM: runs gradverify with the disk filling up after
# a growing number of bytes (the LD_PRELOAD shim full_disk.c), over a
# complete report set of another seed. Each run that cannot write must exit 2
# with one line naming the cause, and leave the old set whole with nothing of
# its own behind; a run with room enough replaces the set. Prints TAP.
set -u
bin=$1
shim=$2
. "$(dirname "$0")/report_set.sh" # scratch, seeds, leftovers
scratch full
args=(--only grad_b2,softmax_jacobian --trials 1 -q --out "$out")
budgets=(0 100 1000 5000 20000 50000 100000 200000 400000 1000000000)
echo "1..$((${#budgets[@]} + 4))"

"$bin" --seed 1 "${args[@]}" >/dev/null || exit 1
fails=0
for ((k = 0; k < ${#budgets[@]}; k++)); do
  b=${budgets[k]}
  err=$(GV_FULL_AFTER=$b LD_PRELOAD=$shim ASAN_OPTIONS=verify_asan_link_order=0 \
    "$bin" --seed 2 "${args[@]}" 2>&1 >/dev/null)
  code=$?
  s=$(seeds | sort -u | tr '\n' ' ')
  if [ $code -eq 2 ]; then
    want="1 "
    lines=$(printf '%s\n' "$err" | wc -l)
    [[ $err == *"No space left on device"* ]] && [ "$lines" -eq 1 ] || s="message: $err"
  else
    want="2 "
  fi
  if [ "$s" = "$want" ] && [ -z "$(leftovers)" ]; then
    echo "ok $((k + 1)) - full after $b bytes: exit $code, the set of seed ${want% }"
  else
    echo "not ok $((k + 1)) - full after $b bytes: exit $code, seeds '$s' (want '$want'), left: $(leftovers | tr '\n' ' ')"
    fails=$((fails + 1))
  fi
done
# stdout on a full disk, or closed: exit 2 and one line, for the program itself.
k=${#budgets[@]}
for cmd in "--list >/dev/full" "--version >/dev/full" "explain grad_W >/dev/full" "--help >&-"; do
  k=$((k + 1))
  err=$(eval "\"\$bin\" $cmd" 2>&1)
  code=$?
  if [ $code -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
    [[ $err == *"cannot write the output"* ]]; then
    echo "ok $k - gradverify $cmd: exit 2, $err"
  else
    echo "not ok $k - gradverify $cmd: exit $code, '$err'"
    fails=$((fails + 1))
  fi
done
[ $fails -eq 0 ]
