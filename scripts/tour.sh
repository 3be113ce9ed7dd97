#!/usr/bin/env bash
# Regenerates the picture tour: docs/tour/*.png, shown and captioned in docs/tour.md.
#
# Runs the browser walk through the demo clinic (tests/integration/demo_tour.rs): it loads the
# demo into a fresh database, serves the app, logs in as each role in headless Chromium (staff
# with the demo's authenticator code) and, with CLINIC_TOUR_DIR set, saves a picture of each
# page it checks: phone width for the patient, tablet for the flowsheet, desktop for the front
# desk and the administrator. Needs what the tests need: PostgreSQL (DATABASE_URL or the
# default), Debian's chromium and chromium-driver. The PNGs are then cut to a 256-colour
# palette (about a third of the size) by pngquant (apt-get install pngquant) or ImageMagick's
# convert when one of them is installed; without them they stay as Chromium wrote them.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/docs/tour"
mkdir -p "$out"
rm -f "$out"/*.png

# CI=true: a missing browser fails here instead of skipping the walk.
CI=true CLINIC_TOUR_DIR="$out" cargo test --test integration -- --exact \
    demo_tour::browser_a_walk_through_the_demo_as_each_role

shopt -s nullglob
pictures=("$out"/*.png)
[ ${#pictures[@]} -gt 0 ] || { echo "the walk saved no pictures in $out" >&2; exit 1; }
for png in "${pictures[@]}"; do
    if command -v pngquant >/dev/null; then
        pngquant --force --skip-if-larger --strip --output "$png" 256 -- "$png" || true
    elif convert -version 2>/dev/null | grep -q ImageMagick; then
        convert "$png" -strip +dither -colors 256 "PNG8:$png.small" && mv "$png.small" "$png"
    fi
done
du -ch "${pictures[@]}" | tail -n 1
echo "${#pictures[@]} pictures in $out (captions: docs/tour.md)"
