#!/usr/bin/env bash
# Refresh the workspace's vendored charting library (Chart.js, MIT) from the npm registry:
# `npm pack` of the pinned version, the tarball's SHA-256 printed and checked against the
# registry's integrity, then the UMD build and the licence copied into the static dir.
# Usage: bash scripts/vendor-charts.sh [VERSION]   (default: the pinned one below)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-4.5.1}"
DEST=server/workspace/static/vendor/chartjs
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "chart.js@$VERSION" >/dev/null)
TGZ="$TMP/chart.js-$VERSION.tgz"
WANT=$(npm view "chart.js@$VERSION" dist.integrity)
GOT="sha512-$(openssl dgst -sha512 -binary "$TGZ" | base64 -w0)"
if [ "$WANT" != "$GOT" ]; then
  echo "integrity mismatch: registry $WANT, tarball $GOT" >&2
  exit 1
fi
echo "chart.js $VERSION sha256 $(sha256sum "$TGZ" | cut -d' ' -f1)"
tar -xzf "$TGZ" -C "$TMP"
mkdir -p "$DEST"
cp "$TMP/package/dist/chart.umd.min.js" "$DEST/chart.umd.min.js" 2>/dev/null \
  || cp "$TMP/package/dist/chart.umd.js" "$DEST/chart.umd.min.js"
cp "$TMP/package/LICENSE.md" "$DEST/LICENSE.md"
echo "$VERSION" > "$DEST/VERSION"
sha256sum "$DEST/chart.umd.min.js" | sed "s#  .*#  chart.umd.min.js#" > "$DEST/SHA256SUMS"
echo "vendored into $DEST: $(cat "$DEST/SHA256SUMS")"
