#!/usr/bin/env bash
# Regenerates docs/card.png: the top of the HTML report of the bundled
# Vast.ai snapshot (title, contents, disclosure card), as in the README.
# Needs Chromium (Debian: apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/docs-card
SOURCE_DATE_EPOCH=1764460800 cargo run --release --quiet -- \
  report data/vastai/vast_offers_A100SXM4_fieldsubset.json --out "$out"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$out/profile" --window-size=1160,1010 \
  --screenshot="$PWD/docs/card.png" "file://$PWD/$out/report.html" 2>/dev/null
echo "wrote docs/card.png"
