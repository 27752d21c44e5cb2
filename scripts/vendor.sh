#!/usr/bin/env bash
# Fetch the page's third-party libraries from the npm registry and vendor them under
# static/vendor/<name>-<version>/ (with their licence). The vendored files are committed, so the
# app needs no npm at runtime; run this only to upgrade a library (then update the template paths).
# Libraries only the tests use go to tests/vendor/ instead (never served): axe-core, which the
# accessibility tests inject into the pages (tests/browser/test_accessibility.py).
#   scripts/vendor.sh            everything
#   scripts/vendor.sh tests      only the tests' libraries (axe-core)
set -euo pipefail

KATEX_VERSION="${KATEX_VERSION:-0.19.1}"
UPLOT_VERSION="${UPLOT_VERSION:-1.6.32}"
SWAGGER_UI_VERSION="${SWAGGER_UI_VERSION:-5.35.0}"  # /docs (app/web/routers/docs.py)
REDOC_VERSION="${REDOC_VERSION:-2.5.4}"  # /redoc
MARKED_VERSION="${MARKED_VERSION:-18.3.0}"  # a lesson's instructions (Markdown)
DOMPURIFY_VERSION="${DOMPURIFY_VERSION:-3.5.0}"  # ... sanitised before they reach the page
AXE_CORE_VERSION="${AXE_CORE_VERSION:-4.14.1}"  # tests only: tests/browser/test_accessibility.py
what="${1:-all}"

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/static/vendor"
test_vendor="$root/tests/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fetch() {  # fetch NAME VERSION -> unpacked package in $tmp/NAME/package
  local name="$1" version="$2"
  mkdir -p "$tmp/$name"
  (cd "$tmp/$name" && npm pack --silent "$name@$version" >/dev/null && tar -xzf ./*.tgz)
}

vendor_tests() {
  fetch axe-core "$AXE_CORE_VERSION"
  local dst="$test_vendor/axe-core-$AXE_CORE_VERSION" src="$tmp/axe-core/package"
  rm -rf "$test_vendor"/axe-core-* && mkdir -p "$dst"
  cp "$src/axe.min.js" "$src/LICENSE" "$dst/"
  cat > "$test_vendor/VERSIONS.txt" <<TXT
# Vendored by scripts/vendor.sh from the npm registry (npm pack), for the tests only (never served).
axe-core $AXE_CORE_VERSION  MPL-2.0  tests/vendor/axe-core-$AXE_CORE_VERSION/   (axe.min.js): tests/browser/test_accessibility.py
TXT
  echo "vendored into $test_vendor:"
  cat "$test_vendor/VERSIONS.txt"
}

if [ "$what" = tests ]; then
  vendor_tests
  exit 0
fi

fetch katex "$KATEX_VERSION"
dst="$vendor/katex-$KATEX_VERSION"
rm -rf "$dst" && mkdir -p "$dst/fonts"
src="$tmp/katex/package"
cp "$src/dist/katex.min.js" "$src/dist/katex.min.css" "$src/LICENSE" "$dst/"
cp "$src"/dist/fonts/*.woff2 "$dst/fonts/"

fetch uplot "$UPLOT_VERSION"
dst="$vendor/uplot-$UPLOT_VERSION"
rm -rf "$dst" && mkdir -p "$dst"
src="$tmp/uplot/package"
cp "$src/dist/uPlot.iife.min.js" "$src/dist/uPlot.min.css" "$src/LICENSE" "$dst/"

fetch swagger-ui-dist "$SWAGGER_UI_VERSION"
dst="$vendor/swagger-ui-$SWAGGER_UI_VERSION"
rm -rf "$dst" && mkdir -p "$dst"
src="$tmp/swagger-ui-dist/package"
cp "$src/swagger-ui-bundle.js" "$src/swagger-ui.css" "$src/favicon-32x32.png" "$src/LICENSE" "$dst/"

fetch redoc "$REDOC_VERSION"
dst="$vendor/redoc-$REDOC_VERSION"
rm -rf "$dst" && mkdir -p "$dst"
src="$tmp/redoc/package"
cp "$src/bundles/redoc.standalone.js" "$src/LICENSE" "$dst/"

fetch marked "$MARKED_VERSION"
dst="$vendor/marked-$MARKED_VERSION"
rm -rf "$dst" && mkdir -p "$dst"
src="$tmp/marked/package"
cp "$src/lib/marked.esm.js" "$src/LICENSE" "$dst/"

fetch dompurify "$DOMPURIFY_VERSION"
dst="$vendor/dompurify-$DOMPURIFY_VERSION"
rm -rf "$dst" && mkdir -p "$dst"
src="$tmp/dompurify/package"
cp "$src/LICENSE" "$dst/"
cp "$src/dist/purify.es.mjs" "$dst/purify.es.js"  # .js: served as JavaScript everywhere

cat > "$vendor/VERSIONS.txt" <<TXT
# Vendored by scripts/vendor.sh from the npm registry (npm pack). Do not edit by hand.
katex $KATEX_VERSION  MIT  static/vendor/katex-$KATEX_VERSION/   (katex.min.js, katex.min.css, fonts/*.woff2)
uplot $UPLOT_VERSION  MIT  static/vendor/uplot-$UPLOT_VERSION/   (uPlot.iife.min.js, uPlot.min.css)
swagger-ui-dist $SWAGGER_UI_VERSION  Apache-2.0  static/vendor/swagger-ui-$SWAGGER_UI_VERSION/   (swagger-ui-bundle.js, swagger-ui.css, favicon-32x32.png): /docs
redoc $REDOC_VERSION  MIT  static/vendor/redoc-$REDOC_VERSION/   (redoc.standalone.js): /redoc
marked $MARKED_VERSION  MIT  static/vendor/marked-$MARKED_VERSION/   (marked.esm.js): lesson instructions
dompurify $DOMPURIFY_VERSION  (MPL-2.0 OR Apache-2.0)  static/vendor/dompurify-$DOMPURIFY_VERSION/   (purify.es.js): sanitises them
TXT
echo "vendored into $vendor:"
cat "$vendor/VERSIONS.txt"
vendor_tests
