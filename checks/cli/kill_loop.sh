#!/bin/bash
# kill_loop.sh GRADVERIFY [RUNS]: kills gradverify at random moments (SIGKILL
# and SIGTERM by turns) while it writes its report set, RUNS times (default
# 100). After every kill, each report in --out must carry one and the same
# seed (the complete old set or the complete new one); after a SIGTERM nothing
# of that run may be left (no staging set, no gv-plot directory, no temporary
# file); after any kill no gnuplot of it may be running. A last complete run
# must leave nothing of the killed ones. Prints TAP.
set -u
bin=$1
runs=${2:-100}
. "$(dirname "$0")/report_set.sh" # scratch, seeds, leftovers
scratch kill
args=(--only grad_b2 --trials 1 -q --out "$out")
fails=0

echo "1..$((runs + 2))"

# gnuplot processes of our runs: they inherit our TMPDIR (their working
# directory is /, chosen by gradverify, so it names no run).
gnuplots() {
  local p c
  for p in /proc/[0-9]*; do
    read -r c 2>/dev/null <"$p/comm" || continue
    [ "$c" = gnuplot ] || continue
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "TMPDIR=$TMPDIR" && echo "${p#/proc/}"
  done
}

if "$bin" --seed 1 "${args[@]}" >/dev/null; then
  echo "ok 1 - a first complete set"
else
  echo "not ok 1 - the first run failed"
  exit 1
fi

for ((i = 1; i <= runs; i++)); do
  sig=KILL
  ((i % 2)) && sig=TERM
  before=$(leftovers | sort) # what earlier SIGKILLs left, for this run to clean
  "$bin" --seed $((i + 1)) "${args[@]}" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 600)))"
  kill -s $sig $pid 2>/dev/null
  wait $pid 2>/dev/null
  sleep 0.02 # gnuplot's death signal is on its way
  problem=
  mapfile -t s < <(seeds)
  if [ ${#s[@]} -ne 4 ] || [ "${s[0]}" != "${s[1]}" ] || [ "${s[0]}" != "${s[2]}" ] ||
    [ "${s[0]}" != "${s[3]}" ]; then
    problem="seeds of the four reports: ${s[*]}"
  elif [ $sig = TERM ] && [ -n "$(comm -13 <(echo "$before") <(leftovers | sort))" ]; then
    problem="left behind: $(comm -13 <(echo "$before") <(leftovers | sort) | tr '\n' ' ')"
  elif [ -n "$(gnuplots)" ]; then
    problem="gnuplot still running: $(gnuplots | tr '\n' ' ')"
  fi
  if [ -n "$problem" ]; then
    echo "not ok $((i + 1)) - SIG$sig run $i: $problem"
    fails=$((fails + 1))
  else
    echo "ok $((i + 1)) - SIG$sig run $i: one seed (${s[0]})"
  fi
done

"$bin" --seed 999 "${args[@]}" >/dev/null
if [ -n "$(leftovers)" ] || [ "$(seeds | sort -u)" != 999 ]; then
  echo "not ok $((runs + 2)) - after a complete run: $(leftovers | tr '\n' ' ')"
  fails=$((fails + 1))
else
  echo "ok $((runs + 2)) - a complete run leaves its set alone"
fi
[ $fails -eq 0 ]
