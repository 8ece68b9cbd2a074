#!/bin/bash
# signal_thread.sh GRADVERIFY SHIM FULL_DISK_SHIM: a SIGTERM that arrives
# while the main thread holds it, in a process with another thread (the
# LD_PRELOAD shim signal_thread.c; OpenBLAS starts such threads). Sent after
# the staging directory is made, or while a run that could not write its
# reports (full_disk.c) removes it, the old set must stay, whole; sent after
# the switch, the new one must stand, whole. Every time the run ends by the
# SIGTERM and leaves nothing behind. Then a SIGTERM to the gnuplot child
# alone, right after fork and in its execvp: the child dies of it (the page
# says some plots failed), the run carries on and its set stands, whole, exit
# 0. Then the same to the grader's sandboxed child (its first: the runner
# listing a compiled submission) after fork and in its execve: it dies of it
# (the report says so), the grading goes on, its reports are written, exit 1.
# Last, a SIGTERM to the grader while a submission's function sleeps in the
# sandbox: the sandboxed child must die with the grader. Prints TAP.
set -u
bin=$1
shim=$2
full_disk=$3
. "$(dirname "$0")/report_set.sh" # scratch, seeds, leftovers
scratch sigthread
args=(--only grad_b2 --trials 1 -q --out "$out")
rounds=3
echo "1..$((3 * rounds + 5))"

"$bin" --seed 1 "${args[@]}" >/dev/null || exit 1
fails=0 k=0 seed=1
for ((r = 1; r <= rounds; r++)); do
  for m in stage switch abort; do # the new set stands after switch only
    k=$((k + 1))
    vars=(GV_SIGNAL_AT=$m LD_PRELOAD="$shim $full_disk" ASAN_OPTIONS=verify_asan_link_order=0)
    [ $m = abort ] && vars+=(GV_FULL_AFTER=0) # the first report cannot be written
    { # the braces take the shell's own "Terminated" line as well
      env "${vars[@]}" "$bin" --seed $((k + 1)) "${args[@]}" >/dev/null
    } 2>/dev/null
    code=$?
    what=${m/stage/after the stage is made}
    what=${what/switch/after the switch}
    what=${what/abort/while a run that could not write removes its stage}
    [ $m = switch ] && seed=$((k + 1))
    s=$(seeds | sort -u | tr '\n' ' ')
    left=$(leftovers | tr '\n' ' ')
    if [ $code -eq 143 ] && [ "$s" = "$seed " ] && [ -z "$left" ]; then
      echo "ok $k - SIGTERM $what: the set of seed $seed, nothing left"
    else
      echo "not ok $k - SIGTERM $what: exit $code (want 143), seeds '$s' (want '$seed'), left: $left"
      fails=$((fails + 1))
    fi
  done
done
for m in fork exec; do # a handler left in the child removed the parent's stage
  k=$((k + 1)) seed=$((k + 1))
  err=$(GV_SIGNAL_AT=$m LD_PRELOAD=$shim ASAN_OPTIONS=verify_asan_link_order=0 \
    "$bin" --seed $seed "${args[@]}" 2>&1 >/dev/null)
  code=$?
  s=$(seeds | sort -u | tr '\n' ' ')
  left=$(leftovers | tr '\n' ' ')
  if [ $code -eq 0 ] && [ "$s" = "$seed " ] && [ -z "$left" ] && [[ $err == *"plots failed"* ]]; then
    echo "ok $k - SIGTERM to the gnuplot child at $m: the run's set of seed $seed, nothing left"
  else
    echo "not ok $k - SIGTERM to the gnuplot child at $m: exit $code (want 0), seeds '$s'" \
      "(want '$seed'), left: $left, stderr: $err"
    fails=$((fails + 1))
  fi
done
src=$(dirname "$0")/../..
cc -shared -fPIC -I "$src/lib/grade/include" "$src/checks/grade/submissions/right.c" \
  -o "$work/right.so" -lgsl -lgslcblas -lm || exit 2
for m in fork exec; do # a handler left in the child lost the signal: the runner ran
  k=$((k + 1)) g=$work/grades-$m
  line=$(GV_SIGNAL_AT=$m LD_PRELOAD=$shim ASAN_OPTIONS=verify_asan_link_order=0 \
    "$bin" grade "$work/right.so" --out "$g" 2>/dev/null)
  code=$?
  why=$(grep -c "killed by signal 15" "$g/right.md" 2>/dev/null)
  files=$(ls "$g" | tr '\n' ' ')
  want="gradebook.csv gradebook.json junit.xml right.html right.json right.md "
  left=$(ls -A "$TMPDIR" | tr '\n' ' ')
  if [ $code -eq 1 ] && [[ $line == *"did not compile or load"* ]] && [ "${why:-0}" -gt 0 ] &&
    [ "$files" = "$want" ] && [ -z "$left" ]; then
    echo "ok $k - SIGTERM to the sandboxed child at $m: it died of it, the reports say so"
  else
    echo "not ok $k - SIGTERM to the sandboxed child at $m: exit $code (want 1), '$line'," \
      "'killed by signal 15' in right.md: ${why:-0}, files: $files, left: $left"
    fails=$((fails + 1))
  fi
done
k=$((k + 1)) # the wall clock is the grader's: a child left behind ran on
cat >"$work/sleepy.c" <<'EOF'
#include <time.h>
#include "gradverify/assignment.h"
int relu_forward(const gsl_matrix *X, gsl_matrix *out)
{
  (void)X, (void)out;
  nanosleep(&(struct timespec){.tv_sec = 30}, NULL);
  return 0;
}
EOF
"$bin" grade "$work/sleepy.c" --out "$work/grades-sleepy" >/dev/null 2>&1 &
grader=$!
for ((i = 0; i < 200; i++)); do # up to 20 s for the compile and the call to start
  pgrep -f "$work/.*call relu_forward" >/dev/null && break
  sleep 0.1
done
started=$(pgrep -f "$work/.*call relu_forward" | wc -l)
{ kill -TERM $grader && wait $grader; } 2>/dev/null
code=$?
for ((i = 0; i < 50; i++)); do # up to 5 s for the kernel's SIGKILL to land
  pgrep -f "$work/.*call relu_forward" >/dev/null || break
  sleep 0.1
done
left=$(pgrep -f "$work/.*call relu_forward" | tr '\n' ' ')
if [ "$started" -eq 1 ] && [ $code -eq 143 ] && [ -z "$left" ]; then
  echo "ok $k - SIGTERM to the grader: its sandboxed child died with it"
else
  echo "not ok $k - SIGTERM to the grader: runner seen $started (want 1), exit $code (want 143)," \
    "still running: $left"
  [ -n "$left" ] && kill -KILL $left
  fails=$((fails + 1))
fi
[ $fails -eq 0 ]
