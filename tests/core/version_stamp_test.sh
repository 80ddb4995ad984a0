#!/usr/bin/env bash
# The git commit is stamped at build time: the stamp step (cmake/SliftCommitStamp.cmake, run by
# every build) writes a new commit after a commit, leaves the file untouched when nothing changed
# (no needless rebuild), and the built slift reports its source tree's HEAD.
#   version_stamp_test.sh SLIFT_BIN SOURCE_DIR WORK_DIR
set -euo pipefail
slift=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work/repo"
fail() { echo "FAIL: $*" >&2; exit 1; }
stamp() {
  cmake -DSOURCE_DIR="$work/repo" -DIN="$src/core/version.cpp.in" -DOUT="$work/version.cpp" -DPROJECT_VERSION=0.0.0 \
    -P "$src/cmake/SliftCommitStamp.cmake"
}
commit() {
  echo "$1" >"$work/repo/file"
  git -C "$work/repo" add file
  git -C "$work/repo" -c user.name=t -c user.email=t@t commit -q -m "$1"
  git -C "$work/repo" rev-parse --short=12 HEAD
}
git -C "$work/repo" init -q
first=$(commit one)
stamp
grep -q "\"$first\"" "$work/version.cpp" || fail "first commit $first not stamped: $(cat "$work/version.cpp")"

touch -d '2000-01-01' "$work/version.cpp"
stamp
[ "$(stat -c %Y "$work/version.cpp")" = "$(date -d '2000-01-01' +%s)" ] || fail "an unchanged commit rewrote the stamp"
second=$(commit two)
stamp
grep -q "\"$second\"" "$work/version.cpp" || fail "after a commit, $second not stamped: $(cat "$work/version.cpp")"


# The slift of this build carries its source tree's HEAD (stale after a commit until rebuilt).
if head=$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null); then
  "$slift" --version | grep -q "($head)" || fail "slift --version '$("$slift" --version)' is not HEAD $head: rebuild after committing"
fi
echo "version stamp: ok ($first -> $second)"
