#!/usr/bin/env python3
"""Past one machine, measured (#22). Run by Benchmarks/scale-out.sh, which starts everything this talks to.

converge  100 writes through one replica; for each, the time from the write's answer until every replica serves its
          Catalog-Version (HEAD /v1/catalog), split into the replicas on the primary and those on the standby.
readers   catalog reads (304 and 200 gzip, OkHttp's and Chrome's headers) of 4 replicas behind one nginx, and of
          one replica alone, in the same run (wrk -t2 -c64).
uploads   the median time of a 30-sticker pack upload (512×512 PNGs, ≈ 60 KB each) to a replica storing assets in
          PostgreSQL and to one storing them in the S3 API server.

Environment: ADMIN_TOKEN, REPLICAS ("primary:PORT,standby:PORT,..."), LB (nginx's origin), PG_REPLICA and S3_REPLICA
(origins of the upload replicas), WRK_SECONDS (per wrk case). Prints Markdown; no pass/fail.
"""
import json
import os
import random
import statistics
import struct
import sys
import threading
import time
import http.client
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
_arguments, sys.argv = sys.argv, sys.argv[:1]  # client_profiles reads its own arguments when imported
import client_profiles  # noqa: E402  (profiles, request_text, lua_for, wrk)
sys.argv = _arguments
client_profiles.SECONDS = int(os.environ.get("WRK_SECONDS", "10"))

TOKEN = os.environ["ADMIN_TOKEN"]


def replicas():
    return [(kind, int(port)) for kind, port in (item.split(":") for item in os.environ["REPLICAS"].split(","))]


def request(port, method, path, body=None, headers=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    if own:
        connection.close()
    return response, data


def served_version(connection):
    connection.request("HEAD", "/v1/catalog")
    response = connection.getresponse()
    response.read()
    return int(response.getheader("Catalog-Version", "-1"))


def converge(writes=100):
    members = replicas()
    writer = members[0][1]
    pack = json.loads(request(writer, "GET", "/v1/catalog")[1])["packs"][0]["id"]
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _, port in members]
    by_kind = {"primary": [], "standby": []}
    for n in range(writes):
        body = json.dumps({"title": {"en": f"Converging {n}"}})
        response, data = request(writer, "PATCH", f"/v1/admin/packs/{pack}", body,
                                 {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/merge-patch+json"})
        if response.status != 200:
            raise SystemExit(f"write {n} answered {response.status}: {data[:200]!r}")
        version = int(response.getheader("Catalog-Version"))
        acknowledged = time.monotonic()
        reached = {}

        def watch(index):
            connection = connections[index]
            while served_version(connection) < version:
                time.sleep(0.002)
            reached[index] = time.monotonic() - acknowledged
        threads = [threading.Thread(target=watch, args=(i,)) for i in range(len(members))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for kind in by_kind:
            times = [reached[i] for i, (k, _) in enumerate(members) if k == kind]
            if times:
                by_kind[kind].append(max(times))
        time.sleep(random.uniform(0, 0.05))
    print(f"Convergence over {writes} writes through one replica (time from the write's answer until every replica of "
          "the group serves its version):\n")
    print("| replicas | p50 | p99 | max |")
    print("|---|---|---|---|")
    for kind, times in by_kind.items():
        if not times:
            continue
        times.sort()
        p99 = times[min(len(times) - 1, int(round(0.99 * len(times))) - 1)]
        count = sum(1 for k, _ in members if k == kind)
        print(f"| {count} on the {kind} | {statistics.median(times) * 1000:.0f} ms | {p99 * 1000:.0f} ms | {times[-1] * 1000:.0f} ms |")
    print()


def readers():
    lb = os.environ["LB"]
    single = f"http://127.0.0.1:{replicas()[0][1]}"
    work = os.environ.get("WORK", "/tmp")
    chosen = [p for p in client_profiles.profiles() if p["name"] in ("okhttp", "chrome")]
    print(f"Catalog reads, wrk -t2 -c{client_profiles.CONNECTIONS}, {client_profiles.SECONDS} s per case:\n")
    print("| profile | case | 4 replicas behind nginx req/s | p99 | 1 replica alone req/s | p99 |")
    print("|---|---|---|---|---|---|")
    for profile in chosen:
        for case in ("304", "gzip"):
            row = []
            for origin in (lb, single):
                host = origin.split("//", 1)[1]
                replace = {"Accept-Encoding": "gzip"}
                if case == "304":
                    headers, _ = client_profiles.fetch(origin + "/v1/catalog", [("Accept-Encoding", "gzip")])
                    replace["If-None-Match"] = headers["ETag"]
                text = client_profiles.request_text("GET", "/v1/catalog", host, profile, replace)
                rps, p99, bad, errors = client_profiles.wrk(origin + "/v1/catalog", client_profiles.lua_for(text, work, f"scale-{profile['name']}-{case}"))
                row.append((rps, p99, bad, errors))
            (l_rps, l_p99, l_bad, l_err), (s_rps, s_p99, s_bad, s_err) = row
            note = "" if not (l_bad or s_bad or l_err or s_err) else f" (non-2xx/3xx {l_bad}/{s_bad} {l_err} {s_err})"
            print(f"| {profile['name']} | {case} | {l_rps:,.0f}{note} | {l_p99} | {s_rps:,.0f} | {s_p99} |", flush=True)
    print()


def png(width, height, seed):
    """A PNG of coloured blocks and noise (noise compresses badly, which keeps it near a real sticker's size)."""
    rng = random.Random(seed)
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            if (x // 8 + y // 8) % 7 == 0:
                row += bytes((rng.randrange(256), rng.randrange(256), seed * 8 % 256, 255))
            else:
                row += bytes((seed * 8 % 256, 128, 64, 255))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 6)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def multipart(parts):
    boundary = "catalogbench" + str(random.randrange(10**9))
    out = bytearray()
    for name, filename, kind, data in parts:
        out += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {kind}\r\n\r\n".encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), "multipart/form-data; boundary=" + boundary


def uploads(runs=15):
    images = [png(512, 512, n) for n in range(30)]
    tray = png(96, 96, 99)
    size = sum(len(i) for i in images)
    print(f"Pack uploads: 30 stickers of 512×512 PNG ({size / 1e6:.1f} MB in all), {runs} uploads per store, multipart:\n")
    print("| asset store | min | median | max |")
    print("|---|---|---|---|")
    for label, origin in (("PostgreSQL (bytea rows)", os.environ["PG_REPLICA"]), ("S3 API (moto server, loopback)", os.environ["S3_REPLICA"])):
        port = int(origin.rsplit(":", 1)[1])
        times = []
        for run in range(runs):
            # Fresh images per upload (a changed pixel each), so no upload finds its assets already stored.
            salt = struct.pack(">I", random.randrange(2**32))
            pack_id = f"bench-{label.split()[0].lower()}-{run}-{random.randrange(10**6)}"
            stickers = [{"id": f"{pack_id}-s{n}", "file": f"s{n}.png", "emojis": ["😀"]} for n in range(30)]
            manifest = {"id": pack_id, "title": {"en": "Bench"}, "publisher": "bench", "tray": "tray.png", "status": "draft", "stickers": stickers}
            parts = [("manifest", "manifest.json", "application/json", json.dumps(manifest).encode()), ("tray.png", "tray.png", "image/png", tray)]
            parts += [(f"s{n}.png", f"s{n}.png", "image/png", salted(png_bytes, salt)) for n, png_bytes in enumerate(images)]
            body, kind = multipart(parts)
            started = time.monotonic()
            response, data = request(port, "POST", "/v1/admin/packs", body, {"Authorization": "Bearer " + TOKEN, "Content-Type": kind})
            elapsed = time.monotonic() - started
            if response.status != 201:
                raise SystemExit(f"upload to {label} answered {response.status}: {data[:300]!r}")
            times.append(elapsed)
        times.sort()
        print(f"| {label} | {times[0] * 1000:.0f} ms | {statistics.median(times) * 1000:.0f} ms | {times[-1] * 1000:.0f} ms |", flush=True)
    print()


def salted(image, salt):
    """`image` with a tEXt chunk carrying `salt`: other bytes, so another content address, the same picture."""
    text = b"tEXt" + b"salt\x00" + salt.hex().encode()
    chunk = struct.pack(">I", len(text) - 4) + text + struct.pack(">I", zlib.crc32(text) & 0xFFFFFFFF)
    return image[:33] + chunk + image[33:]


if __name__ == "__main__":
    for phase in sys.argv[1:] or ["converge", "readers", "uploads"]:
        {"converge": converge, "readers": readers, "uploads": uploads}[phase]()
