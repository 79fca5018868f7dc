#!/usr/bin/env bash
# Measures, in one run against a running service (scripts/run), the catalog 304 rate and the two chat hot paths:
# POST /v1/resolve of one sticker and OpenIM's before-send webhook for that sticker. Needs wrk
# (apt-get install wrk) and the service's GATEWAY_TOKEN and OPENIM_WEBHOOK_SECRET in the environment.
#   GATEWAY_TOKEN=… OPENIM_WEBHOOK_SECRET=… [CONNECTIONS=64] Benchmarks/gateway-and-webhook.sh [http://127.0.0.1:8080] [seconds]
set -euo pipefail
BASE="${1:-http://127.0.0.1:8080}"
DURATION="${2:-10}"
: "${GATEWAY_TOKEN:?set GATEWAY_TOKEN}" "${OPENIM_WEBHOOK_SECRET:?set OPENIM_WEBHOOK_SECRET}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

STICKER=$(curl -fsS "$BASE/v1/catalog" | python3 -c 'import json,sys; print(json.load(sys.stdin)["packs"][0]["stickers"][0]["id"])')
ETAG=$(curl -fsSI "$BASE/v1/catalog" | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r')
RESOLVE_BODY="{\"items\":[{\"kind\":\"sticker\",\"id\":\"$STICKER\"}]}"
CONTENT=$(curl -fsS -H "Authorization: Bearer $GATEWAY_TOKEN" -H 'Content-Type: application/json' -d "$RESOLVE_BODY" "$BASE/v1/resolve" \
    | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["items"][0]["content"], separators=(",",":"), ensure_ascii=False))')
WEBHOOK_BODY=$(python3 - "$CONTENT" <<'PY'
import json, sys
print(json.dumps({"sendID": "user_001", "callbackCommand": "callbackBeforeSendGroupMsgCommand",
    "serverMsgID": "3314df86c67cdb1e6b776c9ee50f61ea", "clientMsgID": "e076b0b51e0ff49040a0fb1110443ae2",
    "operationID": "bench", "senderPlatformID": 1, "senderNickname": "Alice", "sessionType": 3, "msgFrom": 100,
    "contentType": 110, "status": 1, "sendTime": 1719800000123, "createTime": 1719800000001, "content": sys.argv[1],
    "seq": 0, "atUserList": None, "faceURL": "", "ex": "", "groupID": "grp_42"}, ensure_ascii=False))
PY
)
lua_post() { # file body token
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
path, body, token = sys.argv[1:4]
with open(path, "w") as f:
    f.write('wrk.method = "POST"\n')
    f.write('wrk.body = [==[' + body + ']==]\n')
    f.write('wrk.headers["Content-Type"] = "application/json"\n')
    if token:
        f.write('wrk.headers["Authorization"] = "Bearer ' + token + '"\n')
PY
}
lua_post "$WORK/resolve.lua" "$RESOLVE_BODY" "$GATEWAY_TOKEN"
lua_post "$WORK/webhook.lua" "$WEBHOOK_BODY" ""
# Sanity: both answer as expected before measuring.
curl -fsS -X POST -H 'Content-Type: application/json' --data-binary "$WEBHOOK_BODY" \
    "$BASE/v1/openim/callbacks/$OPENIM_WEBHOOK_SECRET/callbackBeforeSendGroupMsgCommand" | grep -q '"errCode":0'

run() { # name url wrk-args...
    local name="$1" url="$2"; shift 2
    local out rps p50 p99 errors
    out=$(wrk -t2 -c"${CONNECTIONS:-64}" -d"${DURATION}s" --latency "$@" "$url")
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    p50=$(echo "$out" | awk '$1=="50%"{print $2}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    errors=$(echo "$out" | awk '/Non-2xx or 3xx/{print $5}')
    echo "$name|$rps|$p50|$p99|${errors:-0}"
}
base=$(run "catalog 304" "$BASE/v1/catalog" -H "If-None-Match: $ETAG")
resolve=$(run "resolve (1 sticker)" "$BASE/v1/resolve" -s "$WORK/resolve.lua")
webhook=$(run "before-send webhook" "$BASE/v1/openim/callbacks/$OPENIM_WEBHOOK_SECRET/callbackBeforeSendGroupMsgCommand" -s "$WORK/webhook.lua")
IFS='|' read -r _ base_rps _ _ _ <<< "$base"
printf '| case | req/s | ÷ catalog 304 | p50 | p99 | non-2xx |\n|---|---|---|---|---|---|\n'
for line in "$base" "$resolve" "$webhook"; do
    IFS='|' read -r name rps p50 p99 errors <<< "$line"
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$(python3 -c "print(f'{$rps/$base_rps:.2f}')")" "$p50" "$p99" "$errors"
done
