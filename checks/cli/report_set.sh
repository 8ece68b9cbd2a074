# report_set.sh: sourced by kill_loop.sh, full_disk.sh and signal_thread.sh.

# The script's scratch directory $work, removed on exit, named gv-$1.XXXXXX:
# $out (gradverify's --out) in it and TMPDIR, exported and empty, so that
# whatever a run leaves in its TMPDIR (a stray temporary file) is seen.
scratch() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/gv-$1.XXXXXX") || exit 2
  out=$work/out
  export TMPDIR=$work/tmp
  mkdir "$TMPDIR" || exit 2
  trap 'rm -rf "$work"' EXIT
}

# The seed report $2 names, found by the pattern $1; "none:$2" when the report
# is missing or names none, so a lost report can never look like a whole set.
seed_of() {
  local v
  v=$(grep -o "$1" "$out/$2" 2>/dev/null | head -1 | grep -o '[0-9][0-9]*' | head -1)
  echo "${v:-none:$2}"
}

# The seed each report in $out names, one per line: one set has one seed.
seeds() {
  seed_of '"seed": [0-9]*' gradient-report.json
  seed_of 'seed \*\*[0-9]*' gradient-report.md
  seed_of 'seed [0-9]*</title>' gradient-report.html
  seed_of 'name="seed" value="[0-9]*"' junit.xml
}

# What a run left behind: anything but the lock, the current link and its set
# in .gradverify; anything in TMPDIR; anything in $out but the four reports.
leftovers() {
  local cur
  cur=$(readlink "$out/.gradverify/current")
  ls -A "$out/.gradverify" | grep -v -x -e lock -e current -e "$cur"
  ls -A "$TMPDIR"
  ls -A "$out" | grep -v -x -e .gradverify -e gradient-report.json -e gradient-report.md \
    -e gradient-report.html -e junit.xml
}
