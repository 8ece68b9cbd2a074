#!/bin/sh
# layering.sh LIBDIR CC [CFLAGS...] -- MODULE:USES... : the module rules of
# lib/meson.build hold by construction. For each MODULE (USES a comma-separated
# list), every header of MODULE compiles alone with MODULE's include path, and
# every header of every module MODULE may not use fails to compile with it.
# Prints a TAP line per module and pair.
set -u
libdir=$1
shift
cc=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do cc="$cc $1"; shift; done
shift
rules="$*"

work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# compiles MODULE HEADER: 0 when HEADER compiles with MODULE's include path.
compiles() {
  flags="-I$libdir/$1"
  cuses=$(for cr in $rules; do [ "${cr%%:*}" = "$1" ] && echo "${cr#*:}"; done | tr "," " ")
  for u in $cuses; do flags="$flags -I$libdir/$u"; done
  printf '#include "%s"\n' "$2" >probe.c
  # shellcheck disable=SC2086
  $cc $flags -fsyntax-only probe.c 2>/dev/null
}

n=0
fails=0
out=""
for r in $rules; do
  m=${r%%:*}
  uses=" $(echo "${r#*:}" | tr ',' ' ') "
  for h in "$libdir/$m"/*.h; do
    n=$((n + 1))
    if compiles "$m" "$(basename "$h")"; then
      out="${out}ok $n - $m: $(basename "$h") compiles alone
"
    else
      fails=$((fails + 1))
      out="${out}not ok $n - $m: $(basename "$h") does not compile alone
"
    fi
  done
  for o in $rules; do
    other=${o%%:*}
    [ "$other" = "$m" ] && continue
    case "$uses" in *" $other "*) continue ;; esac
    for h in "$libdir/$other"/*.h; do
      n=$((n + 1))
      if compiles "$m" "$(basename "$h")"; then
        fails=$((fails + 1))
        out="${out}not ok $n - $m may not use $other, yet $(basename "$h") compiles
"
      else
        out="${out}ok $n - $m cannot include $other's $(basename "$h")
"
      fi
    done
  done
done
echo "1..$n"
printf '%s' "$out"
[ "$fails" -eq 0 ]
