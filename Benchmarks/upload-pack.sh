#!/usr/bin/env bash
# Uploads a 30-sticker pack of 512×512 WebP images (about 1.5 MB) 20 times and reports the median end-to-end time.
# Needs a running service (scripts/run) and Pillow (`pip install pillow`) to draw the images.
#   ADMIN_TOKEN=… Benchmarks/upload-pack.sh [http://127.0.0.1:8080]
set -euo pipefail
BASE="${1:-http://127.0.0.1:8080}"
: "${ADMIN_TOKEN:?set ADMIN_TOKEN}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import os, random, sys
from PIL import Image
work = sys.argv[1]
random.seed(7)
for n in range(30):
    # Noise compresses badly, which keeps each image near 50 KB as real stickers are.
    image = Image.new("RGBA", (512, 512))
    pixels = [(random.randrange(256), random.randrange(256), (n * 8) % 256, 255) if (x // 8 + y // 8) % 3 == 0 else (n * 8 % 256, 128, 64, 255)
              for y in range(512) for x in range(512)]
    image.putdata(pixels)
    image.save(os.path.join(work, f"s{n}.webp"), "WEBP", quality=40)
Image.new("RGBA", (96, 96), (255, 200, 0, 255)).save(os.path.join(work, "tray.png"))
PY
total=$(du -cb "$WORK"/s*.webp | tail -1 | cut -f1)
echo "pack: 30 stickers, $total bytes of WebP"

times=()
for run in $(seq 1 20); do
    id="bench-$(date +%s%N | tail -c 9)-$run"
    stickers=$(for n in $(seq 0 29); do if [ "$n" -gt 0 ]; then printf ','; fi; printf '{"id":"%s-s%d","file":"s%d.webp","emojis":["😀"]}' "$id" "$n" "$n"; done)
    printf '{"id":"%s","title":{"en":"Bench"},"publisher":"bench","tray":"tray.png","status":"draft","stickers":[%s]}' "$id" "$stickers" > "$WORK/manifest.json"
    args=(-F "manifest=@$WORK/manifest.json;type=application/json" -F "tray.png=@$WORK/tray.png")
    for n in $(seq 0 29); do args+=(-F "s$n.webp=@$WORK/s$n.webp"); done
    t=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $ADMIN_TOKEN" "${args[@]}" "$BASE/v1/admin/packs")
    code=${t%% *}
    [ "$code" = 201 ] || { echo "upload $run answered $code" >&2; exit 1; }
    times+=("${t##* }")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "20 uploads: min %.0f ms, median %.0f ms, max %.0f ms\n", a[1]*1000, (a[10]+a[11])*500, a[NR]*1000}'
