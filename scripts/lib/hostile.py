"""Hostile traffic for scripts/soak: malformed and mutated requests of every route family, sent over raw sockets.

Seeds are the whole-service fuzz corpus (Fuzz/Corpus/FuzzService, written by the test suite with its tokens, which
are swapped for the running service's). Each request is a seed as is, or mutated the way uploads go wrong: a byte
>= 0x80 or a control in a multipart part's header name, parts duplicated or cut short, the closing boundary
missing, zip header fields set to edge values, entries corrupted, archives truncated, JSON values swapped for edge
cases, odd header fields. Content-Length is kept right so the request reaches its route.

Every answer must be 2xx/3xx, or 4xx with application/problem+json; a 5xx, a 4xx in another shape, or a refused
connection (the process gone) is counted as a failure. Writes a JSON report when the duration is over (or when
MAX_REQUESTS have been sent), with counts by request family (multipart, zip, JSON, webhook, other).
    python3 hostile.py BASE_URL CORPUS_DIR DURATION_SECONDS REPORT_PATH ADMIN GATEWAY SECRET [MAX_REQUESTS]
"""
import json, os, random, socket, sys, time, urllib.parse

base, corpus_dir, duration, report_path, admin, gateway, secret = sys.argv[1:8]
max_requests = int(sys.argv[8]) if len(sys.argv) > 8 else None
url = urllib.parse.urlparse(base)
TEST_TOKENS = {b"test-admin-token-0123456789": admin.encode(), b"test-gateway-token-0123456789": gateway.encode(),
               b"test-webhook-secret-0123456789": secret.encode()}
seeds = []
for name in sorted(os.listdir(corpus_dir)):
    data = open(os.path.join(corpus_dir, name), "rb").read()
    for old, new in TEST_TOKENS.items():
        data = data.replace(old, new)
    seeds.append((name, data))
rng = random.Random(20261129)


def split(request):
    head, sep, body = request.partition(b"\r\n\r\n")
    return (head.split(b"\r\n"), body) if sep else (None, request)


def join(lines, body):
    lines = [l for l in lines if not l.lower().startswith(b"content-length:")]
    if body or any(lines[0].startswith(m) for m in (b"POST", b"PUT", b"PATCH")):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def mutate_multipart(body, boundary):
    delimiter = b"\r\n--" + boundary
    pieces = body.split(delimiter)
    if len(pieces) < 2:
        return body
    i = rng.randrange(1, len(pieces))
    choice = rng.randrange(7)
    if choice == 0:  # high byte or control in a part header name
        line = pieces[i].find(b"\r\n")
        if line >= 0:
            pieces[i] = pieces[i][:line + 2] + bytes([rng.choice([0x80, 0xFF, 0xC3, 0x00, 0x7F, 0x20])]) + pieces[i][line + 2:]
    elif choice == 1:
        pieces.insert(i, pieces[i])
    elif choice == 2:
        pieces[i] = pieces[i][:rng.randrange(len(pieces[i]) + 1)]
    elif choice == 3:
        return body[:rng.randrange(len(body) + 1)]
    elif choice == 4 and len(pieces) > 2:
        del pieces[i]
    elif choice == 5:
        pieces[i] = b"\r\nX-Long: " + b"a" * rng.choice([10, 3000]) + pieces[i]
    else:
        pieces[i] = pieces[i].replace(b'name="', b'name="manifest', 1)
    return delimiter.join(pieces)


def mutate_zip(body):
    data = bytearray(body)
    if not data:
        return body
    signatures = [b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"]
    offsets = [i for s in signatures for i in range(len(data)) if data.startswith(s, i)]
    choice = rng.randrange(3)
    if choice == 0 and offsets:
        at = rng.choice(offsets) + rng.randrange(4, 46)
        for k in range(rng.choice([2, 4])):
            if at + k < len(data):
                data[at + k] = rng.choice([0, 0xFF, rng.randrange(256)])
    elif choice == 1:
        for _ in range(rng.randrange(1, 9)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    else:
        return bytes(data[:rng.randrange(len(data) + 1)])
    return bytes(data)


EDGE_JSON = [b'""', b'"\\u0000"', b'"\\ud800"', b'-1', b'1e309', b'99999999999999999999999', b'null', b'[]', b'{}',
             b'"' + b"a" * 300 + b'"', b'"\xc3\x28"', b"[" * 3000 + b"]" * 3000, b'"../../etc/passwd"']


def mutate_json(body):
    spots = [i for i, c in enumerate(body) if c in b'"0123456789-']
    if not spots:
        return rng.choice(EDGE_JSON)
    at = rng.choice(spots)
    end = at + 1
    if body[at:at + 1] == b'"':
        while end < len(body) and body[end:end + 1] != b'"':
            end += 2 if body[end:end + 1] == b"\\" else 1
        end += 1
    else:
        while end < len(body) and body[end:end + 1] in b"0123456789.eE+-":
            end += 1
    return body[:at] + rng.choice(EDGE_JSON) + body[end:]


ODD_FIELDS = [b"Connection: keep-alive", b"Connection: Close", b"Expect: 100-continue", b"If-None-Match: *", b"Range: bytes=5-1",
              b"Accept-Encoding: gzip;q=0", b"X-Request-Id: a b", b"Authorization: Bearer wrong-token-0123456789", b"Via: 1.1 cdn"]


def mutate(request):
    lines, body = split(request)
    if lines is None:
        return request
    content_type = next((l.split(b":", 1)[1].strip().lower() for l in lines[1:] if l.lower().startswith(b"content-type:")), b"")
    choice = rng.randrange(4)
    if choice == 0 and content_type.startswith(b"multipart/form-data") and b"boundary=" in content_type:
        original = next(l for l in lines[1:] if l.lower().startswith(b"content-type:"))
        boundary = original.split(b"boundary=", 1)[1].strip()
        body = mutate_multipart(body, boundary)
    elif choice <= 1 and b"zip" in content_type:
        body = mutate_zip(body)
    elif choice <= 2 and body[:1] in (b"{", b"["):
        body = mutate_json(body)
    else:
        lines = lines + [rng.choice(ODD_FIELDS)]
    return join(lines, body)


def exchange(request):
    """Sends one request and a Connection: close probe; returns the first answer's status and content type."""
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        try:
            s.sendall(request + b"GET /healthz HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n")
        except OSError:
            pass  # the service may answer a refused head and close before reading everything
        received = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    head = received.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    if not head[0].startswith(b"HTTP/1."):
        return None, ""
    status = int(head[0][9:12])
    if status == 100:  # an interim answer: the final one follows
        rest = received.split(b"\r\n\r\n", 1)[1]
        head = rest.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        status = int(head[0][9:12]) if head[0].startswith(b"HTTP/1.") else 0
    content_type = next((l.split(b":", 1)[1].strip().decode("latin-1") for l in head[1:] if l.lower().startswith(b"content-type:")), "")
    return status, content_type


def family(request):
    head = request.split(b"\r\n\r\n", 1)[0].lower()
    if b"/v1/openim/callbacks/" in head.split(b"\r\n", 1)[0]:
        return "webhook"
    for marker, name in ((b"multipart/form-data", "multipart"), (b"application/zip", "zip"), (b"json", "json")):
        if marker in head:
            return name
    return "other"


families = {}
counts = {"requests": 0, "mutated": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, "4xx_not_problem_json": 0, "no_answer": 0, "refused": 0}
failures = []
deadline = time.time() + float(duration)
while time.time() < deadline and (max_requests is None or counts["requests"] < max_requests):
    name, seed = rng.choice(seeds)
    request = seed if rng.random() < 0.2 else mutate(seed)
    counts["mutated"] += request is not seed
    counts["requests"] += 1
    families[family(request)] = families.get(family(request), 0) + 1
    try:
        status, content_type = exchange(request)
    except ConnectionRefusedError:
        counts["refused"] += 1
        failures.append(f"{name}: connection refused (the service is gone?)")
        time.sleep(0.5)
        continue
    except OSError as error:
        counts["no_answer"] += 1
        continue
    if status is None:
        counts["no_answer"] += 1
        continue
    counts[f"{status // 100}xx"] = counts.get(f"{status // 100}xx", 0) + 1
    if status >= 500:
        failures.append(f"{name}: {status}")
    elif 400 <= status < 500 and not content_type.startswith("application/problem+json"):
        counts["4xx_not_problem_json"] += 1
        failures.append(f"{name}: {status} {content_type!r}")
json.dump({"counts": counts, "families": families, "failures": failures[:50]}, open(report_path, "w"), indent=1)
