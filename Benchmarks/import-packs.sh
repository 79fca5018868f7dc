#!/usr/bin/env bash
# Imports two packs in WhatsApp's sticker-app layout (contents.json and one folder per pack) end to end — unzip,
# inspect, decode, thumbnails, store — N times (default 9) and reports the median, then the thumbnail bytes of each
# imported pack against its full images (what a picker grid saves).
#
# WhatsApp's own sample packs (BSD, github.com/WhatsApp/stickers) cannot be fetched on this machine (no network
# beyond Debian and PyPI), so the two packs are made with ffmpeg to the same shape: 30 still 512×512 WebP
# stickers and 16 animated ones (46 in all, as WhatsApp's two samples), 96×96 PNG trays.
#   ADMIN_TOKEN=… Benchmarks/import-packs.sh [http://127.0.0.1:8080] [runs]
set -euo pipefail
BASE="${1:-http://127.0.0.1:8080}"
RUNS="${2:-9}"
: "${ADMIN_TOKEN:?set ADMIN_TOKEN}"
command -v ffmpeg >/dev/null || { echo "needs ffmpeg (apt-get install ffmpeg)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/packs/still" "$WORK/packs/moving"
# Still stickers: frames of ffmpeg's test pattern at different times, lossy WebP as WhatsApp's are (~20–40 KB).
ffmpeg -v error -f lavfi -i "testsrc2=s=512x512:r=30:d=30" -vf "select=not(mod(n\,30))" -vsync vfr -frames:v 30 \
    -c:v libwebp -quality 75 "$WORK/packs/still/s%02d.webp"
# Animated stickers: 16 clips of 1 s at 10 fps, each well under WhatsApp's 500 KB.
for n in $(seq 0 15); do
    ffmpeg -v error -f lavfi -i "testsrc2=s=512x512:r=10:d=1,hue=h=$((n * 22))" -c:v libwebp_anim -quality 50 -loop 0 \
        "$WORK/packs/moving/m$(printf %02d "$n").webp"
done
ffmpeg -v error -f lavfi -i "color=c=0xFFC800:s=96x96:d=1" -frames:v 1 "$WORK/packs/still/tray.png"
ffmpeg -v error -f lavfi -i "color=c=0x3366CC:s=96x96:d=1" -frames:v 1 "$WORK/packs/moving/tray.png"
python3 - "$WORK" <<'PY'
import json, os, sys, zipfile
work = sys.argv[1]
def pack(identifier, name, folder, animated):
    files = sorted(f for f in os.listdir(os.path.join(work, "packs", folder)) if f.endswith(".webp"))
    return {"identifier": folder, "name": name, "publisher": "Benchmarks", "tray_image_file": "tray.png",
            "animated_sticker_pack": animated, "image_data_version": "1",
            "stickers": [{"image_file": f, "emojis": ["😀", "🎉"], "accessibility_text": f"sticker {f}"} for f in files]}
contents = {"android_play_store_link": "", "ios_app_store_link": "",
            "sticker_packs": [pack("still", "Still pattern", "still", False), pack("moving", "Moving pattern", "moving", True)]}
with zipfile.ZipFile(os.path.join(work, "packs.zip"), "w", zipfile.ZIP_STORED) as archive:
    archive.writestr("contents.json", json.dumps(contents))
    for folder in ("still", "moving"):
        for f in sorted(os.listdir(os.path.join(work, "packs", folder))):
            archive.write(os.path.join(work, "packs", folder, f), f"{folder}/{f}")
PY
echo "packs.zip: $(stat -c %s "$WORK/packs.zip") bytes; still stickers $(du -cb "$WORK"/packs/still/*.webp | tail -1 | cut -f1) bytes, animated $(du -cb "$WORK"/packs/moving/*.webp | tail -1 | cut -f1) bytes"

times=()
for run in $(seq 1 "$RUNS"); do
    # Each run imports the same packs again: their ids get the next free suffix, their images are stored once.
    t=$(curl -sS -o "$WORK/report.json" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $ADMIN_TOKEN" \
        -H 'Content-Type: application/zip' --data-binary "@$WORK/packs.zip" "$BASE/v1/admin/imports")
    code=${t%% *}
    [ "$code" = 200 ] && grep -q '"refused":0' "$WORK/report.json" || { echo "import $run answered $code: $(cat "$WORK/report.json")" >&2; exit 1; }
    times+=("${t##* }")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$RUNS" '{a[NR]=$1} END {m=(n%2)?a[(n+1)/2]:(a[n/2]+a[n/2+1])/2; printf "%d imports of 2 packs, 46 stickers: min %.0f ms, median %.0f ms, max %.0f ms\n", n, a[1]*1000, m*1000, a[NR]*1000}'

# Thumbnail bytes against full images, per pack of the last import.
python3 - "$BASE" "$ADMIN_TOKEN" "$WORK/report.json" <<'PY'
import json, sys, urllib.request
base, token, report = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
def get(url, admin=False):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if admin else {})
    with urllib.request.urlopen(request) as response:
        return response.read()
ids = [p["id"] for p in report["packs"] if p["status"] == "created"]
for pack_id in ids:
    doc = json.loads(get(f"{base}/v1/admin/packs/{pack_id}", admin=True))
    full = sum(s["byteSize"] for s in doc["stickers"])
    thumbs = [len(get(s["thumbnailUrl"])) for s in doc["stickers"] if "thumbnailUrl" in s]
    print(f"{pack_id}: {len(doc['stickers'])} stickers, full images {full} bytes, thumbnails {sum(thumbs)} bytes "
          f"({len(thumbs)} of them, {100 * sum(thumbs) / full:.1f} % of the full images, {sum(thumbs) // max(len(thumbs), 1)} bytes each)")
PY
