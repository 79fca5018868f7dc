#!/usr/bin/env python3
"""Catalog reads with the headers real clients send, the service against nginx, in one run.

For every profile of Benchmarks/client-profiles.txt: the catalog as 304 (with the ETag of the variant the profile
gets), 200 gzip and 200 identity, from the running service (at its defaults) and from nginx serving the very same
bytes at Debian's defaults (worker_processes auto, sendfile, the access log on, gzip_static for the precompressed
copy); then resolve and the before-send webhook with the headers of OpenIM's Go client. wrk, 2 threads, 64
connections. Prints a Markdown table; no pass/fail (the figures go in docs/BENCHMARKS.md).

    GATEWAY_TOKEN=... OPENIM_WEBHOOK_SECRET=... Benchmarks/client_profiles.py [http://127.0.0.1:8080] [seconds]
    PROFILES=nginx-proxy,go Benchmarks/client_profiles.py ...   # only those profiles
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
HERE = os.path.dirname(os.path.abspath(__file__))
NGINX_PORT = int(os.environ.get("NGINX_PORT", "18080"))
# PROFILES=nginx-proxy,go runs only those profiles (the gateway rows need "go").
ONLY = {name for name in os.environ.get("PROFILES", "").split(",") if name}


def profiles():
    result, current = [], None
    for line in open(os.path.join(HERE, "client-profiles.txt"), encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = {"name": line[1:-1], "http10": False, "headers": []}
            result.append(current)
        elif line == "version: 1.0":
            current["http10"] = True
        else:
            name, value = line.split(":", 1)
            current["headers"].append((name, value.strip()))
    return result


def fetch(url, headers):
    request = urllib.request.Request(url, headers=dict(headers))
    with urllib.request.urlopen(request) as response:
        return response.headers, response.read()


def request_text(method, path, host, profile, replace, body=None):
    headers = [(n, v) for n, v in profile["headers"] if n.lower() not in {k.lower() for k in replace}]
    headers += [(n, v) for n, v in replace.items() if v is not None]
    if body is not None:
        headers.append(("Content-Length", str(len(body.encode()))))
    version = "1.0" if profile["http10"] else "1.1"
    text = f"{method} {path} HTTP/{version}\r\nHost: {host}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n"
    return text + (body or "")


def lua_for(text, work, name):
    """A wrk script sending exactly `text`. HTTP/1.1 requests are handed to wrk as method, path, headers and body,
    which it formats once and sends as they are (its own request line always says HTTP/1.1); HTTP/1.0 ones go
    through a `request()` function, called per request (which costs wrk some CPU, for both servers alike)."""
    path = os.path.join(work, name + ".lua")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    method, target, version = lines[0].split(" ")

    def lua_string(value):
        return "[==[" + value + "]==]"
    with open(path, "w", encoding="utf-8") as f:
        if version == "HTTP/1.1":
            f.write(f"wrk.method = {lua_string(method)}\nwrk.path = {lua_string(target)}\n")
            for line in lines[1:]:
                name_, value = line.split(":", 1)
                if name_.lower() != "content-length":
                    f.write(f"wrk.headers[ {lua_string(name_)} ] = {lua_string(value.strip())}\n")
            if body:
                f.write(f"wrk.body = {lua_string(body)}\n")
        else:
            f.write("local req = " + lua_string(text.replace("\r\n", "\n")) + "\n")
            f.write('req = req:gsub("\\n", "\\r\\n")\n')
            f.write("request = function() return req end\n")
    return path


def wrk(url, script):
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return rps, p99, int(bad.group(1)) if bad else 0, errors.group(1) if errors else ""


def run_wrk(url, script, seconds):
    """One wrk run (2 threads, CONNECTIONS connections, --latency): requests/s, p50 and p99 as wrk prints them,
    requests sent, and non-2xx/3xx answers."""
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, total, int(bad.group(1)) if bad else 0


def milliseconds(figure):
    """wrk's "785.00us", "1.35ms" or "1.02s" in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", figure).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def paced(url, script, rate, seconds):
    """Runs the wrk script at `script` (it defines `request()`) at about `rate` requests a second over CONNECTIONS
    connections, instead of as fast as the server answers: latency measured at a stated load, not at saturation,
    where it only measures the queue (mean latency = connections ÷ rate). wrk keeps no schedule of its own, so each
    connection waits between an answer and its next request (`delay`, whole milliseconds, the fraction carried to
    the next wait). The waits are drawn from an exponential distribution around their mean, so the connections'
    requests arrive as a Poisson stream: with equal waits, connections that start together stay in step and send
    in bursts of 64. A 2 s calibration run measures what an answer adds to the mean wait, and the measured run
    subtracts it. Returns run_wrk's figures; the first is the rate reached."""
    body = open(script, encoding="utf-8").read()
    interval = CONNECTIONS * 1000.0 / rate  # ms between one connection's requests

    def with_wait(wait, duration):
        path = f"{script[:-4]}-paced.lua"
        with open(path, "w", encoding="utf-8") as f:
            f.write(body + f"""
local carried = 0
math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
delay = function()
  carried = carried - math.log(1 - math.random()) * {wait:.4f}
  local whole = math.floor(carried); carried = carried - whole; return whole
end
""")
        return run_wrk(url, path, duration)

    calibration = with_wait(interval, 2)
    answer_ms = max(0.0, CONNECTIONS * 1000.0 / calibration[0] - interval)
    return with_wait(max(0.0, interval - answer_ms), seconds)


def start_nginx(work):
    _, identity = fetch(BASE + "/v1/catalog", [])
    _, gzipped = fetch(BASE + "/v1/catalog", [("Accept-Encoding", "gzip")])
    return serve_with_nginx(work, identity, gzipped)


def serve_with_nginx(work, identity, gzipped):
    """nginx at Debian's defaults serving `identity` (and `gzipped` by gzip_static) at /v1/catalog; and at
    /dynamic/catalog the identity bytes gzipped for each request (nginx's gzip filter at its default level, 1): the
    floor for an answer that is compressed afresh, as a search page answered afresh is."""
    root = os.path.join(work, "root", "v1")
    os.makedirs(root)
    open(os.path.join(root, "catalog"), "wb").write(identity)
    open(os.path.join(root, "catalog.gz"), "wb").write(gzipped)
    os.makedirs(os.path.join(work, "root", "dynamic"))
    open(os.path.join(work, "root", "dynamic", "catalog"), "wb").write(identity)
    subprocess.run(["chmod", "-R", "a+rX", work], check=True)
    conf = os.path.join(work, "nginx.conf")
    # Debian's nginx.conf at its defaults, serving the catalog's two files.
    with open(conf, "w") as f:
        f.write(f"""
worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 768; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    default_type application/octet-stream;
    access_log {work}/access.log;
    gzip on;
    gzip_static on;
    server {{
        listen 127.0.0.1:{NGINX_PORT};
        root {work}/root;
        location /v1/ {{ default_type application/json; add_header Vary Accept-Encoding; add_header Cache-Control "public, max-age=60"; }}
        location /dynamic/ {{ default_type application/json; gzip_static off; gzip_types application/json; gzip_vary on; }}
    }}
}}
""")
    subprocess.run(["nginx", "-c", conf], check=True)
    time.sleep(0.5)
    return len(identity), len(gzipped)


def stop_nginx(work):
    """Stops the nginx `serve_with_nginx` started in `work` and removes the directory."""
    pid = os.path.join(work, "nginx.pid")
    if os.path.exists(pid):
        subprocess.run(["kill", open(pid).read().strip()])
    time.sleep(0.3)
    shutil.rmtree(work, ignore_errors=True)


def main():
    token, secret = os.environ.get("GATEWAY_TOKEN"), os.environ.get("OPENIM_WEBHOOK_SECRET")
    work = tempfile.mkdtemp()
    os.chmod(work, 0o755)
    try:
        identity_bytes, gzip_bytes = start_nginx(work)
        nginx = f"http://127.0.0.1:{NGINX_PORT}"
        print(f"catalog: {identity_bytes} bytes identity, {gzip_bytes} gzip; wrk -t2 -c{CONNECTIONS}, {SECONDS} s per case\n")
        print("| profile | case | service req/s | nginx req/s | service ÷ nginx | target | service p99 | nginx p99 |")
        print("|---|---|---|---|---|---|---|---|")
        rates = {}
        for profile in profiles():
            if ONLY and profile["name"] not in ONLY:
                continue
            has_coding = any(n.lower() == "accept-encoding" for n, _ in profile["headers"])
            gzip = {} if has_coding else {"Accept-Encoding": "gzip"}
            for case in ("304", "gzip", "identity"):
                row = []
                for server in (BASE, nginx):
                    host = server.split("//", 1)[1]
                    replace = {"Accept-Encoding": None} if case == "identity" else dict(gzip)
                    if case == "304":
                        headers = [(n, v) for n, v in profile["headers"] if n.lower() not in {k.lower() for k in replace}] + [(k, v) for k, v in replace.items() if v]
                        response_headers, _ = fetch(server + "/v1/catalog", headers)
                        replace["If-None-Match"] = response_headers["ETag"]
                    text = request_text("GET", "/v1/catalog", host, profile, replace)
                    row.append(wrk(server + "/v1/catalog", lua_for(text, work, f"{profile['name']}-{case}")))
                (s_rps, s_p99, s_bad, s_err), (n_rps, n_p99, n_bad, n_err) = row
                target = 0.9 if case == "304" else 0.8
                ratio = s_rps / n_rps
                rates[(profile["name"], case)] = s_rps
                note = "" if not (s_bad or n_bad or s_err or n_err) else f" (non-2xx/3xx {s_bad}/{n_bad} {s_err} {n_err})"
                print(f"| {profile['name']} | {case} | {s_rps:,.0f} | {n_rps:,.0f} | {ratio:.2f} | ≥ {target} {'met' if ratio >= target else 'NOT met'}{note} | {s_p99} | {n_p99} |", flush=True)
        if token and secret and ("go", "304") in rates:
            go = next(p for p in profiles() if p["name"] == "go")
            host = BASE.split("//", 1)[1]
            catalog = json.loads(fetch(BASE + "/v1/catalog", [])[1])
            sticker = catalog["packs"][0]["stickers"][0]["id"]
            body = json.dumps({"items": [{"kind": "sticker", "id": sticker}]}, separators=(",", ":"))
            req = urllib.request.Request(BASE + "/v1/resolve", data=body.encode(), headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            content = json.loads(urllib.request.urlopen(req).read())["items"][0]["content"]
            webhook = json.dumps({"sendID": "user_001", "callbackCommand": "callbackBeforeSendGroupMsgCommand",
                                  "serverMsgID": "3314df86c67cdb1e6b776c9ee50f61ea", "clientMsgID": "e076b0b51e0ff49040a0fb1110443ae2",
                                  "operationID": "bench", "senderPlatformID": 1, "senderNickname": "Alice", "sessionType": 3, "msgFrom": 100,
                                  "contentType": 110, "status": 1, "sendTime": 1719800000123, "createTime": 1719800000001,
                                  "content": json.dumps(content, separators=(",", ":"), ensure_ascii=False), "seq": 0, "atUserList": None,
                                  "faceURL": "", "ex": "", "groupID": "grp_42"}, ensure_ascii=False)
            baseline = rates[("go", "304")]
            print(f"\n| gateway and OpenIM, Go client headers | service req/s | ÷ service 304 ({baseline:,.0f}) | target | p99 | p99 paced at half the 304 rate ({baseline / 2:,.0f}/s) |")
            print("|---|---|---|---|---|---|")
            for name, path, replace, payload in (
                ("POST /v1/resolve (one sticker)", "/v1/resolve", {"Authorization": "Bearer " + token, "Content-Type": "application/json"}, body),
                ("POST before-send webhook", f"/v1/openim/callbacks/{secret}/callbackBeforeSendGroupMsgCommand", {"Content-Type": "application/json; charset=utf-8"}, webhook),
            ):
                text = request_text("POST", path, host, go, replace, payload)
                script = lua_for(text, work, "go-" + path.split("/")[2])
                rps, p99, bad, err = wrk(BASE + path, script)
                # The target read as a load: at half the 304 rate, p99 under 5 ms (as fast as wrk can send, p99 is
                # the queue of 64 connections on two shared cores). The paced script needs request(): wrap the
                # HTTP/1.1 form's fields in one.
                paced_script = script[:-4] + "-request.lua"
                with open(paced_script, "w", encoding="utf-8") as f:
                    f.write(open(script, encoding="utf-8").read() + "\nlocal formatted = wrk.format()\nrequest = function() return formatted end\n")
                paced_p99 = paced(BASE + path, paced_script, baseline / 2, SECONDS)[2]
                note = "" if not (bad or err) else f" (non-2xx/3xx {bad} {err})"
                print(f"| {name} | {rps:,.0f} | {rps / baseline:.2f} | ≥ 0.5, p99 < 5 ms{note} | {p99} | {paced_p99} |", flush=True)
    finally:
        stop_nginx(work)


if __name__ == "__main__":
    main()
