#!/usr/bin/env bash
# Renders report.html files in headless Chromium (Debian package `chromium`) to PNG, to check
# that the charts are legible. Usage: scripts/screenshot_reports.sh REPORT.html [...]
set -euo pipefail
for report in "$@"; do
    png="${report%.html}.png"
    chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1280,4000 \
        --screenshot="$png" "file://$(realpath "$report")" >/dev/null 2>&1
    echo "$png"
done
