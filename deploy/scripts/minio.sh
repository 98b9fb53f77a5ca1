#!/usr/bin/env bash
# Makes sure the MinIO server binary that the blob tests run (pkg/blob/miniotest) is present,
# building it once into ~/.cache/vanguard/bin when it is not. MinIO is AGPL: we only ever run it
# as a separate server, never link it. It says what it does; it exits at once when the binary
# is already there (or $VANGUARD_MINIO_BIN names one).
#
# The build runs from a temporary directory so our go.mod is never touched, goes to a temporary
# GOBIN and is moved into place in one rename, and holds a lock, so parallel callers (several
# test binaries, `make deps` twice) build once and the others wait for it.
set -euo pipefail

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
BIN_DIR="$HOME/.cache/vanguard/bin"
TARGET="$BIN_DIR/minio"
LOCK="$BIN_DIR/.minio-build.lock"

say() { echo "minio.sh: $*" >&2; }

if [ -n "${VANGUARD_MINIO_BIN:-}" ]; then
  if [ -x "$VANGUARD_MINIO_BIN" ]; then exit 0; fi
  say "VANGUARD_MINIO_BIN=$VANGUARD_MINIO_BIN is not an executable file"; exit 1
fi
[ -x "$TARGET" ] && exit 0

command -v go >/dev/null 2>&1 || { say "go is not on PATH"; exit 1; }
mkdir -p "$BIN_DIR"

# Someone may be building it by hand right now (a plain `go install`, without our lock):
# wait for that rather than building a second copy side by side.
wait_for_foreign_build() {
  local waited=0
  while pgrep -f "go install github.com/minio/minio@" >/dev/null 2>&1; do
    [ "$waited" = 0 ] && say "a 'go install github.com/minio/minio' is already running; waiting for it"
    waited=1
    sleep 10
  done
  return 0
}

exec 9>"$LOCK"
if ! flock -n 9; then
  say "another minio.sh is building MinIO; waiting for it"
  flock 9
fi
wait_for_foreign_build
if [ -x "$TARGET" ]; then
  say "MinIO is ready: $TARGET"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vanguard-minio-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "building MinIO $MINIO_VERSION once into $BIN_DIR (~10-15 min, 150 MB; later runs reuse it)"
start=$(date +%s)
(
  cd "$work"
  GOBIN="$work/bin" GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" \
    go install "github.com/minio/minio@$MINIO_VERSION"
)
mv -f "$work/bin/minio" "$TARGET"
say "built $TARGET in $(( $(date +%s) - start )) s"
