#!/bin/sh
# installed.sh MESON BUILD_DIR SOURCE [ARGS...]: installs BUILD_DIR into a fresh
# --destdir inside it, checks that the install is complete (header, assertion
# header, shared library with its soname, gradverify.pc, the command line and
# its man page), compiles SOURCE against the installed gradverify.pc alone (its
# prefix moved into the destdir: never the uninstalled .pc, nor the source
# tree), runs it with ARGS and exits with its status. Reusable by any test that
# needs a program built the way a user of the installed library builds one
# (CC and CFLAGS from the environment are honoured).
set -u
meson=$1 build=$(cd "$2" && pwd) src=$3
shift 3
dest=$(mktemp -d "$build/installed.XXXXXX") || exit 2
trap 'rm -rf "$dest"' EXIT
fail() { echo "installed.sh: $*"; exit 1; }

"$meson" install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$dest.log" 2>&1 ||
  { cat "$dest.log"; rm -f "$dest.log"; fail "meson install failed"; }
rm -f "$dest.log"

pc=$(find "$dest" -name gradverify.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "no gradverify.pc installed"
prefix=$(sed -n 's/^prefix=//p' "$pc")
root=$dest$prefix
for f in include/gradverify.h include/gradverify_assert.h bin/gradverify share/man/man1/gradverify.1; do
  [ -f "$root/$f" ] || fail "$f not installed under $prefix"
done
# The .pc's directories must lie under its prefix, or moving the prefix would
# leave them pointing at the system (or nowhere).
grep -E '^(libdir|includedir)=' "$pc" | grep -v '=\${prefix}' && fail "$pc has a directory outside \${prefix}"
so=$(find "$root" -name 'libgradverify.so.0' | head -n 1)
[ -n "$so" ] || fail "libgradverify.so.0 not installed"
readelf -d "$so" | grep -q 'SONAME.*\[libgradverify\.so\.0\]' || fail "$so has no soname libgradverify.so.0"
[ -e "$(dirname "$so")/libgradverify.so" ] || fail "no libgradverify.so link for -lgradverify"

# gradverify.pc, relocated: a copy whose prefix is the destdir's.
pcdir=$dest/pc
mkdir "$pcdir"
sed "s|^prefix=.*|prefix=$root|" "$pc" >"$pcdir/gradverify.pc"
cflags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags gradverify) || fail "pkg-config --cflags failed"
libs=$(PKG_CONFIG_PATH=$pcdir pkg-config --libs gradverify) || fail "pkg-config --libs failed"
case "$cflags" in *"$root/include"*) ;; *) fail "cflags $cflags miss $root/include" ;; esac
libdir=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir gradverify)

exe=$dest/$(basename "$src" .c)
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -Wall -Wextra -pedantic -Werror ${CFLAGS:-} $cflags -o "$exe" "$src" \
  $libs -Wl,-rpath,"$libdir" -lm || fail "$src does not build against the installed gradverify"
"$root/bin/gradverify" --version >/dev/null || fail "the installed gradverify does not run"
"$exe" "$@"
