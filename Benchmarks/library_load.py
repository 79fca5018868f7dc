#!/usr/bin/env python3
"""Users' libraries under load, with the headers of OpenIM's Go client (the gateway is a Go server), at 64
connections against the running service at its defaults, 1,000,000 users loaded (Benchmarks/library-users.sql):

* the combined library GET for users spread over the million (200), and its 304 (If-None-Match of each user's ETag);
* a favorite added (POST …/favorites/blob-happy, a sticker of the seed no generated user has; one add per user);
* after-send webhooks carrying a sticker, each from another sender and with its own serverMsgID, as fast as the
  service takes them: their p99, and whether recents kept up (a sample of senders read back afterwards);
* beside the GETs, nginx serving one library as a static file with the same headers: what this machine's cores,
  shared with wrk, allow any server at 64 connections.

No pass/fail; the figures go in docs/BENCHMARKS.md.

    GATEWAY_TOKEN=... OPENIM_WEBHOOK_SECRET=... Benchmarks/library_load.py [http://127.0.0.1:8080] [seconds]
"""
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_profiles as cp  # noqa: E402  (BASE and SECONDS from argv, as there)

TOKEN = os.environ["GATEWAY_TOKEN"]
SECRET = os.environ["OPENIM_WEBHOOK_SECRET"]


def lua_string(value):
    return "[==[" + value + "]==]"


def headers_lua(extra):
    go = next(p for p in cp.profiles() if p["name"] == "go")
    headers = [(n, v) for n, v in go["headers"] if n.lower() not in {k.lower() for k in extra}] + list(extra.items())
    headers.append(("Host", cp.BASE.split("//", 1)[1]))
    return "{" + ",".join(f"[ {lua_string(n)} ] = {lua_string(v)}" for n, v in headers) + "}"


def script(work, name, body):
    path = os.path.join(work, name + ".lua")
    with open(path, "w", encoding="utf-8") as f:
        f.write(body)
    return path


def wrk(lua):
    return cp.run_wrk(cp.BASE + "/", lua, cp.SECONDS)


def rates(name, default):
    """The paced rates of one case: $NAME_RATES (comma-separated requests a second) or `default`."""
    return [float(r) for r in os.environ.get(name, default).split(",") if r]


def get(path, extra=None):
    request = urllib.request.Request(cp.BASE + path, headers={"Authorization": "Bearer " + TOKEN, **(extra or {})})
    with urllib.request.urlopen(request) as response:
        return response.headers, response.read()


def webhook_lua(auth):
    """A wrk script of after-send webhooks carrying the seed's blob-wink, each from another sender (threads half a
    million users apart) with its own serverMsgID."""
    request = urllib.request.Request(cp.BASE + "/v1/resolve", data=b'{"items":[{"kind":"sticker","id":"blob-wink"}]}',
                                     headers={**auth, "Content-Type": "application/json"})
    content = json.dumps(json.loads(urllib.request.urlopen(request).read())["items"][0]["content"], separators=(",", ":"), ensure_ascii=False)
    template = json.dumps({"sendID": "SENDER", "callbackCommand": "callbackAfterSendGroupMsgCommand", "serverMsgID": "MESSAGE",
                           "clientMsgID": "e076b0b51e0ff49040a0fb1110443ae2", "operationID": "bench", "senderPlatformID": 1,
                           "senderNickname": "Alice", "sessionType": 3, "msgFrom": 100, "contentType": 110, "status": 1,
                           "sendTime": 1719800000123, "createTime": 1719800000001, "content": content, "seq": 0, "atUserList": None,
                           "faceURL": "", "ex": "", "groupID": "grp_42"}, ensure_ascii=False)
    before, after = template.split('"SENDER"')
    middle, tail = after.split('"MESSAGE"')
    path = f"/v1/openim/callbacks/{SECRET}/callbackAfterSendGroupMsgCommand"
    hook_lua = f"""local headers = {headers_lua({"Content-Type": "application/json; charset=utf-8"})}
local before, middle, tail = {lua_string(before)}, {lua_string(middle)}, {lua_string(tail)}
local n = 0
local thread_index = 0
local run = tostring(os.time())
setup = function(thread) thread:set("id", thread_index); thread_index = thread_index + 1 end
init = function(args) n = 0 end
request = function()
  n = n + 1
  local user = (id * 500000 + n) % 1000000 + 1
  return wrk.format('POST', {lua_string(path)}, headers, before .. '"user' .. user .. '"' .. middle .. '"bench-' .. run .. '-' .. id .. '-' .. n .. '"' .. tail)
end
"""
    return hook_lua


def main():
    work = tempfile.mkdtemp()
    auth = {"Authorization": "Bearer " + TOKEN}
    print(f"wrk -t2 -c{cp.CONNECTIONS}, {cp.SECONDS} s per case, OpenIM Go client headers\n")
    print("| case | req/s | p50 | p99 | non-2xx/3xx |")
    print("|---|---|---|---|---|")

    def row(name, result):
        rps, p50, p99, total, bad = result
        print(f"| {name} | {rps:,.0f} | {p50} | {p99} | {bad} of {total:,} |", flush=True)

    # The combined GET for users spread over the million (each thread walks its own stride).
    get_lua = f"""local headers = {headers_lua(auth)}
local n = 0
init = function(args) math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16)); n = math.random(1000000) end
request = function() n = (n + 7919) % 1000000 + 1; return wrk.format('GET', '/v1/users/user' .. n .. '/library', headers) end
"""
    row("GET library (200), users across 1,000,000", wrk(script(work, "get", get_lua)))
    for rate in rates("GET_RATES", "1000,2000,4000"):
        row(f"GET library (200), paced at {rate:,.0f}/s", cp.paced(cp.BASE + "/", script(work, "get", get_lua), rate, cp.SECONDS))

    # The machine's floor: nginx at Debian's defaults serving one user's library as a static file, with the same
    # client's headers, as fast as it answers and at the same rates.
    _, document = get("/v1/users/user1/library")
    static_root = tempfile.mkdtemp()  # nginx's own (stop_nginx removes it)
    os.chmod(static_root, 0o755)
    cp.serve_with_nginx(static_root, document, gzip.compress(document))
    try:
        # Identity, as the service answers a library (it does not compress these).
        static_lua = f"""local headers = {headers_lua(auth)}
headers["Accept-Encoding"] = nil
request = function() return wrk.format('GET', '/v1/catalog', headers) end
"""
        nginx = f"http://127.0.0.1:{cp.NGINX_PORT}/"
        row(f"nginx: one library ({len(document):,} bytes) as a static file", cp.run_wrk(nginx, script(work, "static", static_lua), cp.SECONDS))
        for rate in rates("GET_RATES", "1000,2000,4000"):
            row(f"nginx: the static file, paced at {rate:,.0f}/s", cp.paced(nginx, script(work, "static", static_lua), rate, cp.SECONDS))
    finally:
        cp.stop_nginx(static_root)

    # 304: each of 2,000 users with the ETag of their library.
    pairs = []
    for n in range(1, 2001):
        user = 1 + (n * 499) % 1000000
        response_headers, _ = get(f"/v1/users/user{user}/library")
        pairs.append((f"/v1/users/user{user}/library", response_headers["ETag"]))
    cond_lua = f"""local paths = {{{",".join(lua_string(p) for p, _ in pairs)}}}
local tags = {{{",".join(lua_string(t) for _, t in pairs)}}}
local headers = {headers_lua(auth)}
local i = 0
init = function(args) math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16)); i = math.random(#paths) end
request = function() i = i % #paths + 1; headers["If-None-Match"] = tags[i]; return wrk.format('GET', paths[i], headers) end
"""
    row("GET library with If-None-Match (304), 2,000 users", wrk(script(work, "cond", cond_lua)))
    for rate in rates("GET_RATES", "1000,2000,4000"):
        row(f"GET library 304, paced at {rate:,.0f}/s", cp.paced(cp.BASE + "/", script(work, "cond", cond_lua), rate, cp.SECONDS))

    # A favorite added: every request another user (threads start half a million apart), from a stretch of users
    # chosen by the clock, so that a run a minute later adds again rather than finding the sticker already there.
    offset = int(time.time()) % 1200 * 400
    fav_lua = f"""local headers = {headers_lua(auth)}
local n = 0
local thread_index = 0
setup = function(thread) thread:set("start", thread_index * 500000 + OFFSET); thread_index = thread_index + 1 end
init = function(args) n = start end
request = function() n = n + 1; return wrk.format('POST', '/v1/users/user' .. (n % 1000000 + 1) .. '/library/favorites/blob-happy', headers) end
"""
    fav = wrk(script(work, "fav", fav_lua.replace("OFFSET", str(offset - 1))))
    row("POST favorite added (one per user)", fav)
    # Each paced run adds for another stretch of users, 100,000 further on.
    for step, rate in enumerate(rates("FAVORITE_RATES", "500,1000,2000"), start=1):
        paced_lua = script(work, "fav", fav_lua.replace("OFFSET", str(offset - 1 + step * 100000)))
        row(f"POST favorite added, paced at {rate:,.0f}/s", cp.paced(cp.BASE + "/", paced_lua, rate, cp.SECONDS))
    _, body = get(f"/v1/users/user{offset + 10}/library/favorites")
    added = json.loads(body)["items"][0]["id"] == "blob-happy"

    # After-send webhooks: distinct messages and senders, a real sticker payload.
    hook_lua = webhook_lua(auth)
    hooks = wrk(script(work, "hook", hook_lua))
    row("POST after-send webhook (distinct senders and messages)", hooks)

    # The rate: 10,000 webhooks a second, not as many as wrk can send (cp.paced).
    for rate in rates("WEBHOOK_RATES", "10000"):
        row(f"POST after-send webhook, paced at {rate:,.0f}/s", cp.paced(cp.BASE + "/", script(work, "hook", hook_lua), rate, cp.SECONDS))
    time.sleep(3)
    sample = []
    for user in (10, 11, 12, 500010, 500011):
        _, body = get(f"/v1/users/user{user}/library/recents")
        sample.append(json.loads(body)["items"][0]["id"] == "blob-wink")
    print(f"\nfavorite landed for user{offset + 10}: {added}; recents led by the webhook's sticker for sampled senders: {sample}")


if __name__ == "__main__":
    main()
