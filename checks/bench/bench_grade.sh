#!/bin/sh
# bench_grade.sh GRADVERIFY SUBMISSIONS COUNT JOBS: grades a class of COUNT
# submissions, the example class of SUBMISSIONS (checks/grade/submissions)
# repeated, with -j JOBS, and prints the wall time. A benchmark: asserts
# nothing but that the grader ran (exit 0 or 1).
set -u
exe=$1 src=$2 count=$3 jobs=$4
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/class"
i=0
while [ "$i" -lt "$count" ]; do
  for f in "$src"/*.c; do
    [ "$i" -lt "$count" ] || break
    cp "$f" "$tmp/class/s$(printf %03d "$i")_$(basename "$f")"
    i=$((i + 1))
  done
done
start=$(date +%s.%N)
"$exe" grade "$tmp"/class/*.c -j "$jobs" --out "$tmp/grades" --quiet
rc=$?
end=$(date +%s.%N)
[ "$rc" -le 1 ] || { echo "bench_grade: gradverify grade failed ($rc)"; exit 1; }
hostile=$(ls "$tmp/class" | grep -c -E '_(loop|forkbomb|segfault|malloc10g|exit0|writefile|nan|constructor)\.c$')
echo "graded $count submissions ($hostile hostile) with -j $jobs on $(nproc) cores:" \
  "$(awk "BEGIN { printf \"%.1f\", $end - $start }") s wall"
