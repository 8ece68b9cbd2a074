#!/bin/sh
# subproject.sh MESON SOURCE_ROOT BUILD_DIR: copies the consumer project
# (checks/install/subproject and consumer.c) into a fresh directory inside
# BUILD_DIR, places this gradverify source tree at subprojects/gradverify (a
# symlink: with the directory there, the wrap file's url is never fetched),
# configures it with meson, builds the consumer and runs it.
set -u
meson=$1 src=$(cd "$2" && pwd) build=$(cd "$3" && pwd)
here=$src/checks/install
tmp=$(mktemp -d "$build/subproject.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
fail() { echo "subproject.sh: $*"; exit 1; }
cp -r "$here/subproject/." "$tmp/" && cp "$here/consumer.c" "$tmp/" || fail "copy failed"
ln -s "$src" "$tmp/subprojects/gradverify" || fail "symlink failed"
"$meson" setup --wrap-mode=nodownload "$tmp/build" "$tmp" >"$tmp/setup.log" 2>&1 ||
  { cat "$tmp/setup.log"; fail "meson setup of the consumer failed"; }
grep -q "Subproject gradverify finished" "$tmp/setup.log" || { cat "$tmp/setup.log"; fail "gradverify was not taken as a subproject"; }
"$meson" compile -C "$tmp/build" consumer >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "the consumer does not build"; }
"$tmp/build/consumer"
