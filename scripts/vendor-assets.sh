#!/usr/bin/env bash
# Vendor front-end assets from the npm registry into the repo, so running the app needs no Node.js:
#   - the U.S. Web Design System (CSS, JS, the fonts and images its stylesheet references) -> static/uswds/
#   - axe-core (accessibility checks run by the browser tests)                               -> tests/e2e/vendor/
# Run it again to upgrade (change the versions below), then commit the result.
set -euo pipefail
USWDS_VERSION=3.14.0
AXE_VERSION=4.14.1
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@uswds/uswds@${USWDS_VERSION}" >/dev/null
npm pack --silent "axe-core@${AXE_VERSION}" >/dev/null
mkdir uswds axe
tar xzf "uswds-uswds-${USWDS_VERSION}.tgz" -C uswds
tar xzf "axe-core-${AXE_VERSION}.tgz" -C axe
dist=uswds/package/dist

dest="$root/static/uswds"
rm -rf "$dest"
mkdir -p "$dest/css" "$dest/js" "$dest/img"
cp "$dist/css/uswds.min.css" "$dest/css/"
cp "$dist/js/uswds.min.js" "$dist/js/uswds-init.min.js" "$dest/js/"
cp "$dist/img/sprite.svg" "$dest/img/"
cp uswds/package/LICENSE.md "$dest/LICENSE.md"
# Every font and image the stylesheet points at, and nothing else.
grep -o 'url([^)]*)' "$dist/css/uswds.min.css" | sed -e 's/^url(//' -e 's/)$//' -e 's/"//g' -e "s/'//g" \
  | grep '^\.\./' | sed 's/^\.\.\///' | sort -u | while read -r rel; do
    mkdir -p "$dest/$(dirname "$rel")"
    cp "$dist/$rel" "$dest/$rel"
  done
echo "USWDS ${USWDS_VERSION}: $(find "$dest" -type f | wc -l) files, $(du -sh "$dest" | cut -f1)"

mkdir -p "$root/tests/e2e/vendor"
cp axe/package/axe.min.js "$root/tests/e2e/vendor/axe.min.js"
cp axe/package/LICENSE "$root/tests/e2e/vendor/axe-LICENSE"
echo "axe-core ${AXE_VERSION}: tests/e2e/vendor/axe.min.js"
