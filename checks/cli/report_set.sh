# report_set.sh: sourced by kill_loop.sh and full_disk.sh, which set $out
# (gradverify's --out) and $TMPDIR (the run's own, empty at the start).

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
