#!/usr/bin/env python3
"""Search over HTTP with the headers real clients send, at 64 connections, against the running service at its
defaults (load Benchmarks/search_catalog.py's catalog first), with nginx at Debian's defaults serving one search
answer as a static file in the same run: the floor this machine sets for any answer at that concurrency.

For each client profile (Benchmarks/client-profiles.txt: okhttp, urlsession, chrome, cdn) and each kind of query
(one word; two or three words of one sticker; one emoji; and the stickers-for-emoji suggestions), wrk cycles
through 3,000 queries — for words 3,000 distinct, more than the service remembers per version (2,048), so nearly
every request is ranked afresh; the emoji lists hold 172 distinct (the catalog's 150 emoji, some with a skin tone), so after
the first round they are remembered answers, as in real use — and, separately, through 20 of them (then answered
from the per-version memo, as repeated searches are). Then the distinct queries again at stated loads (RATES, requests a second, default 2000,5000,10000; each
beside nginx's static answer at the same load): the latency a client sees at that load rather than at saturation,
where 64 connections on two shared cores only measure the queue. PACED_ONLY=1 runs only those. Prints Markdown
tables; no pass/fail (the figures go in docs/BENCHMARKS.md).

    Benchmarks/search_catalog.py queries > /tmp/search-queries.json
    Benchmarks/search_load.py http://127.0.0.1:8080 /tmp/search-queries.json [seconds]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
QUERIES = sys.argv[2] if len(sys.argv) > 2 else "/tmp/search-queries.json"
SECONDS = sys.argv[3] if len(sys.argv) > 3 else "5"
sys.argv = [sys.argv[0], BASE, SECONDS]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_profiles as cp  # noqa: E402  (reads BASE and SECONDS from the argv set above)


def lua_rotating(work, name, profile, host, paths):
    """A wrk script sending `paths` in turn with the profile's headers (and Accept-Encoding: gzip where the profile
    sends none, as for the catalog cases). wrk's two threads send disjoint halves (odd and even entries), each from
    its own starting point. Were both to cycle through the whole list from random points, a thread would send what the
    other had sent fewer than 2,048 queries before (the answers the service remembers per version) in about two runs
    of three, and half of its queries would be answered from memory. With halves, a query comes again only after the
    3,000 others."""
    def lua_string(value):
        return "[==[" + value + "]==]"
    headers = [(n, v) for n, v in profile["headers"] if n.lower() != "host"]
    if not any(n.lower() == "accept-encoding" for n, _ in headers):
        headers.append(("Accept-Encoding", "gzip"))
    headers.append(("Host", host))
    path = os.path.join(work, name + ".lua")
    with open(path, "w", encoding="utf-8") as f:
        f.write("local paths = {" + ",".join(lua_string(p) for p in paths) + "}\n")
        f.write("local headers = {" + ",".join(f"[ {lua_string(n)} ] = {lua_string(v)}" for n, v in headers) + "}\n")
        f.write("local threads = 0\n")
        f.write("setup = function(thread) thread:set('half', threads % 2); threads = threads + 1 end\n")
        f.write("local i = 0\n")
        f.write("init = function(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)); "
                "if #paths < 2 then half = 0 end; i = 1 + half + 2 * math.random(0, math.floor((#paths - 1 - half) / 2)) end\n")
        f.write("request = function() local path = paths[i]; i = i + 2; if i > #paths then i = 1 + half end; "
                "return wrk.format('GET', path, headers) end\n")
    return path


def target(kind, text):
    if kind == "suggest":
        return "/v1/catalog/stickers-for-emoji?emoji=" + urllib.parse.quote(text, safe="")
    return "/v1/catalog/search?q=" + urllib.parse.quote(text, safe="") + "&locale=en"


def wrk(url, script):
    out = subprocess.run(["wrk", "-t2", f"-c{cp.CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(bad.group(1)) if bad else 0


def under_a_millisecond(p99):
    return p99.endswith("us") or (p99.endswith("ms") and float(p99[:-2]) < 1)


def main():
    queries = json.load(open(QUERIES, encoding="utf-8"))
    queries["suggest"] = queries["emoji"]
    work = tempfile.mkdtemp()
    os.chmod(work, 0o755)
    host = BASE.split("//", 1)[1]
    try:
        sample = BASE + target("one", queries["one"][0])
        _, identity = cp.fetch(sample, [])
        _, gzipped = cp.fetch(sample, [("Accept-Encoding", "gzip")])
        cp.serve_with_nginx(work, identity, gzipped)
        nginx = f"http://127.0.0.1:{cp.NGINX_PORT}"
        print(f"one search answer: {len(identity)} bytes identity, {len(gzipped)} gzip; wrk -t2 -c{cp.CONNECTIONS}, {SECONDS} s per case\n")
        chosen = [p for p in cp.profiles() if p["name"] in ("okhttp", "urlsession", "chrome", "cdn")]
        if not os.environ.get("PACED_ONLY"):
            print("| profile | queries | service req/s | service p50 | service p99 | p99 < 1 ms | nginx static answer req/s | nginx p99 |")
            print("|---|---|---|---|---|---|---|---|")
            for profile in chosen:
                n_rps, _, n_p99, _ = wrk(nginx + "/v1/catalog", lua_rotating(work, f"nginx-{profile['name']}", profile, f"127.0.0.1:{cp.NGINX_PORT}", ["/v1/catalog"]))
                for kind in ("one", "few", "emoji", "suggest"):
                    for label, texts in ((f"{kind}: 3,000 distinct", queries[kind]), (f"{kind}: 20 repeated", queries[kind][:20])):
                        script = lua_rotating(work, f"{profile['name']}-{kind}-{len(texts)}", profile, host, [target(kind, t) for t in texts])
                        rps, p50, p99, bad = wrk(BASE + "/", script)
                        note = f" (non-2xx/3xx {bad})" if bad else ""
                        met = "met" if under_a_millisecond(p99) else "NOT met"
                        print(f"| {profile['name']} | {label} | {rps:,.0f} | {p50} | {p99} | {met}{note} | {n_rps:,.0f} | {n_p99} |", flush=True)
        # The same queries at stated loads (cp.paced), with nginx's static answer at the same load beside them.
        rates = [float(r) for r in os.environ.get("RATES", "2000,5000,10000").split(",") if r]
        print(f"\nPaced: each profile's 3,000 distinct queries per kind at a stated rate over {cp.CONNECTIONS} connections\n")
        print("nginx gzipping per request: the same one-word answer (identity bytes), compressed by nginx for each request "
              "at its default level (1), as a search answered afresh is: the floor for that work alone.\n")
        print("| profile | queries | rate asked | service req/s | service p50 | service p99 | p99 < 1 ms | nginx p99 at that rate "
              "| nginx gzipping per request p99 |")
        print("|---|---|---|---|---|---|---|---|---|")
        for profile in chosen:
            static = lua_rotating(work, f"nginx-{profile['name']}", profile, f"127.0.0.1:{cp.NGINX_PORT}", ["/v1/catalog"])
            floors = {rate: cp.paced(nginx + "/v1/catalog", static, rate, int(SECONDS))[2] for rate in rates}
            dynamic = lua_rotating(work, f"nginx-gzip-{profile['name']}", profile, f"127.0.0.1:{cp.NGINX_PORT}", ["/dynamic/catalog"])
            compressing = {rate: cp.paced(nginx + "/dynamic/catalog", dynamic, rate, int(SECONDS))[2] for rate in rates}
            for kind in ("one", "few", "emoji", "suggest"):
                script = lua_rotating(work, f"{profile['name']}-{kind}-paced", profile, host, [target(kind, t) for t in queries[kind]])
                for rate in rates:
                    rps, p50, p99, _, bad = cp.paced(BASE + "/", script, rate, int(SECONDS))
                    note = f" (non-2xx/3xx {bad})" if bad else ""
                    met = "met" if under_a_millisecond(p99) else "NOT met"
                    print(f"| {profile['name']} | {kind}: 3,000 distinct | {rate:,.0f}/s | {rps:,.0f} | {p50} | {p99} | {met}{note} | {floors[rate]} "
                          f"| {compressing[rate]} |", flush=True)
    finally:
        cp.stop_nginx(work)


if __name__ == "__main__":
    main()
