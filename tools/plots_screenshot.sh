#!/usr/bin/env bash
# Look at `dvc plots show` the way a person does, with the network cut off: writes the page to
# dvc_plots/index.html, draws it in headless Chromium into dvc_plots/screenshot.png (one tall
# window: WIDTH x HEIGHT pixels, default 1600 x 9000) and prints how many of the page's Vega plots
# drew and how many images it shows. Exits 1 when a Vega plot did not draw.
#
#   tools/plots_screenshot.sh            # with .venv's dvc on PATH; needs chromium
#   HEIGHT=12000 tools/plots_screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."

out=dvc_plots
width=${WIDTH:-1600}
height=${HEIGHT:-9000}
dvc plots show --out "$out" >/dev/null
page="file://$PWD/$out/index.html"
# Every request but the page's own files goes to a closed local port: a script from a CDN cannot load.
offline=(--headless --no-sandbox --disable-gpu --hide-scrollbars --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>'
         --virtual-time-budget=20000)
chromium "${offline[@]}" --window-size="$width,$height" --screenshot="$PWD/$out/screenshot.png" "$page" 2>/dev/null
dom=$(chromium "${offline[@]}" --dump-dom "$page" 2>/dev/null)
vega=$(grep -o "vegaEmbed('#" "$out/index.html" | wc -l)
drawn=$(grep -o '<canvas' <<<"$dom" | wc -l)
images=$(grep -o '<img src="static/' <<<"$dom" | wc -l)
echo "$out/screenshot.png: $drawn of $vega Vega plots drawn, $images images"
[ "$drawn" -eq "$vega" ]
