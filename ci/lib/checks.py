#!/usr/bin/env python3
"""Black-box checks of a running poll-api, used by ci/smoke, ci/e2e, ci/acceptance,
ci/perf and ci/security. Python 3.9+ standard library only.

    checks.py smoke BASE_URL [--expect-version V] [--expect-commit C] [--expect-environment E]
    checks.py e2e BASE_URL
    checks.py acceptance BASE_URL
    checks.py perf BASE_URL [--requests N] [--concurrency C] [--max-seconds S] [--p95-ms MS]
    checks.py security BASE_URL [--log-file F] [--allow-no-auth]

A bearer token, when the environment has auth on, comes from $POLL_API_TOKEN (never from
the command line, never printed). Each step prints "ok ..." or "FAIL ..."; the exit status
is 0 only when every step passed. Only smoke is read-only; the others create their own
questions and delete them again, whatever happens.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ipaddress
import json
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

TIMEOUT = float(os.environ.get("CHECK_HTTP_TIMEOUT", "10"))
LEAK_MARKERS = (
    "panicked at", "stack backtrace", "RUST_BACKTRACE", ".rs:", "tokio_postgres",
    "SELECT ", "INSERT INTO", "postgres://", "postgresql://", "redis://", "rediss://",
    "Traceback (most recent call last)",
)


class CheckFailed(Exception):
    pass


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise CheckFailed(f"body is not JSON ({err}): {self.text[:200]!r}") from err

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D401 - urllib API
        return None


OPENER = urllib.request.build_opener(NoRedirect)


class Client:
    def __init__(self, base: str, token: str | None):
        self.base = base.rstrip("/")
        self.token = token

    def request(self, method: str, path: str, *, json_body: Any = None, data: bytes | None = None,
                content_type: str | None = None, headers: dict[str, str] | None = None,
                auth: bool = True, token: str | None = None) -> Response:
        hdrs = {"Accept": "application/json, application/problem+json"}
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            content_type = content_type or "application/json"
        if content_type:
            hdrs["Content-Type"] = content_type
        use = token if token is not None else (self.token if auth else None)
        if use:
            hdrs["Authorization"] = f"Bearer {use}"
        hdrs.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with OPENER.open(req, timeout=TIMEOUT) as resp:
                return Response(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
        except urllib.error.HTTPError as err:
            body = err.read() if err.fp else b""
            return Response(err.code, {k.lower(): v for k, v in err.headers.items()}, body)
        except (urllib.error.URLError, OSError) as err:
            raise CheckFailed(f"{method} {path}: {err}") from err


class Runner:
    def __init__(self, name: str):
        self.name = name
        self.passed = 0
        self.failed = 0

    def step(self, label: str, fn, *args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except CheckFailed as err:
            self.failed += 1
            print(f"FAIL {self.name}: {label}: {err}", flush=True)
            return None
        self.passed += 1
        print(f"ok   {self.name}: {label}", flush=True)
        return result

    def done(self) -> int:
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


def expect_status(resp: Response, status: int, what: str) -> Response:
    expect(resp.status == status, f"{what}: status {resp.status}, expected {status}: {resp.text[:300]!r}")
    return resp


def expect_problem(resp: Response, status: int, what: str) -> dict[str, Any]:
    expect_status(resp, status, what)
    ctype = (resp.header("content-type") or "").split(";")[0].strip()
    expect(ctype == "application/problem+json", f"{what}: content-type {ctype!r}, expected application/problem+json")
    body = resp.json()
    for key in ("type", "title", "status", "detail"):
        expect(key in body, f"{what}: problem without {key!r}: {body}")
    expect(body["status"] == status, f"{what}: problem status {body['status']} != {status}")
    no_leak(resp, what)
    return body


def no_leak(resp: Response, what: str) -> None:
    text = resp.text
    for marker in LEAK_MARKERS:
        expect(marker not in text, f"{what}: body leaks {marker!r}: {text[:300]!r}")


# ------------------------------------------------------------------ smoke (read-only)


def smoke(c: Client, args) -> int:
    r = Runner("smoke")

    def live():
        resp = expect_status(c.request("GET", "/health/live", auth=False), 200, "/health/live")
        expect(resp.json().get("status") == "ok", f"/health/live: {resp.text!r}")

    def ready():
        resp = expect_status(c.request("GET", "/health/ready", auth=False), 200, "/health/ready")
        body = resp.json()
        expect(body.get("status") in ("ready", "degraded"), f"/health/ready: {body}")
        if body.get("status") == "degraded":
            print(f"warn smoke: service is degraded: {body.get('checks')}", flush=True)

    def version():
        resp = expect_status(c.request("GET", "/version", auth=False), 200, "/version")
        body = resp.json()
        for key in ("version", "commit", "branch", "environment"):
            expect(key in body, f"/version lacks {key!r}: {body}")
        if args.expect_version:
            expect(body["version"] == args.expect_version,
                   f"version {body['version']!r}, expected {args.expect_version!r}")
        if args.expect_commit:
            got, want = str(body["commit"]), args.expect_commit
            expect(got.startswith(want) or want.startswith(got) and len(got) >= 7,
                   f"commit {got!r}, expected {want!r}")
        if args.expect_environment:
            expect(body["environment"] == args.expect_environment,
                   f"environment {body['environment']!r}, expected {args.expect_environment!r}")
        print(f"     version={body['version']} commit={str(body['commit'])[:12]} "
              f"environment={body['environment']}", flush=True)

    def one_read():
        resp = expect_status(c.request("GET", "/polls/questions/?limit=1"), 200, "GET /polls/questions/")
        expect(isinstance(resp.json(), list), "GET /polls/questions/: not an array")

    r.step("live", live)
    r.step("ready", ready)
    r.step("version matches", version)
    r.step("one read", one_read)
    return r.done()


# ------------------------------------------------------------------ e2e story


def create_question(c: Client, text: str, choices: list[str]) -> dict[str, Any]:
    resp = c.request("POST", "/polls/questions/",
                     json_body={"question_text": text, "pub_date": "2026-01-15", "choices": choices})
    expect_status(resp, 201, "create question")
    return resp.json()


def delete_quietly(c: Client, ids: list[int]) -> None:
    for qid in ids:
        try:
            c.request("DELETE", f"/polls/questions/{qid}/")
        except CheckFailed:
            pass


def e2e(c: Client, args) -> int:
    r = Runner("e2e")
    created: list[int] = []
    tag = uuid.uuid4().hex[:10]
    state: dict[str, Any] = {}
    try:
        def create():
            q = create_question(c, f"e2e {tag}: which pipeline stage?", ["branch", "uat", "staging"])
            created.append(q["id"])
            expect(len(q.get("choices", [])) == 3, f"3 choices expected: {q}")
            expect([ch["choice_text"] for ch in q["choices"]] == ["branch", "uat", "staging"],
                   f"choices out of order: {q['choices']}")
            expect(all(ch["votes"] == 0 for ch in q["choices"]), "new choices must have 0 votes")
            state["q"] = q

        def read_back():
            q = state["q"]
            resp = expect_status(c.request("GET", f"/polls/questions/{q['id']}/"), 200, "get question")
            body = resp.json()
            expect(body["question_text"] == q["question_text"], f"text differs: {body}")
            expect(len(body["choices"]) == 3, f"choices: {body}")

        def vote_idempotent():
            q = state["q"]
            choice = q["choices"][1]["id"]
            key = f"e2e-{tag}-1"
            first = c.request("POST", f"/polls/questions/{q['id']}/votes/", json_body={"choice_id": choice},
                              headers={"Idempotency-Key": key})
            expect_status(first, 201, "vote")
            expect(first.header("idempotent-replayed") is None, "first vote must not be a replay")
            again = c.request("POST", f"/polls/questions/{q['id']}/votes/", json_body={"choice_id": choice},
                              headers={"Idempotency-Key": key})
            expect_status(again, 201, "vote replay")
            expect((again.header("idempotent-replayed") or "").lower() == "true",
                   "the replay must carry Idempotent-Replayed: true")
            expect(again.json() == first.json(), f"replay body differs: {again.text!r} vs {first.text!r}")
            other = c.request("POST", f"/polls/questions/{q['id']}/votes/",
                              json_body={"choice_id": q["choices"][0]["id"]}, headers={"Idempotency-Key": key})
            expect_problem(other, 409, "same key, different body")

        def voter_dedupe():
            q = state["q"]
            voter = f"voter-{tag}"
            one = c.request("POST", f"/polls/questions/{q['id']}/votes/",
                            json_body={"choice_id": q["choices"][2]["id"], "voter_id": voter})
            expect_status(one, 201, "vote with voter_id")
            expect(one.json().get("voter_id") == voter, f"voter_id not echoed: {one.text!r}")
            two = c.request("POST", f"/polls/questions/{q['id']}/votes/",
                            json_body={"choice_id": q["choices"][1]["id"], "voter_id": voter})
            expect_problem(two, 409, "second vote of the same voter")

        def results_exact():
            q = state["q"]
            resp = expect_status(c.request("GET", f"/polls/questions/{q['id']}/results/"), 200, "results")
            body = resp.json()
            expect(body["total_votes"] == 2, f"total_votes {body['total_votes']}, expected 2")
            votes = {ch["choice_text"]: ch["votes"] for ch in body["choices"]}
            expect(votes == {"branch": 0, "uat": 1, "staging": 1}, f"votes {votes}")
            order = [ch["choice_text"] for ch in body["choices"]]
            expect(order == ["uat", "staging", "branch"], f"results order {order} (votes desc, then id)")

        def problems():
            q = state["q"]
            expect_problem(c.request("GET", "/polls/questions/9223372036854775807/"), 404, "missing question")
            expect_problem(c.request("GET", f"/polls/questions/{q['id']}/choices/9223372036854775807/"), 404,
                           "missing choice")
            body = expect_problem(c.request("POST", "/polls/questions/",
                                            json_body={"question_text": "", "pub_date": "2026-02-30"}),
                                  422, "invalid question")
            fields = {e.get("field") for e in body.get("errors", [])}
            expect("question_text" in fields and "pub_date" in fields, f"422 errors list: {body.get('errors')}")
            expect_problem(c.request("POST", f"/polls/questions/{q['id']}/votes/",
                                     json_body={"choice_id": 9223372036854775807}), 422, "vote for a foreign choice")

        def delete():
            q = state["q"]
            expect_status(c.request("DELETE", f"/polls/questions/{q['id']}/"), 204, "delete")
            created.remove(q["id"])
            expect_problem(c.request("GET", f"/polls/questions/{q['id']}/"), 404, "deleted question")

        for label, fn in (("create question with choices", create), ("read it back", read_back),
                          ("vote with idempotency key, replay, key reuse 409", vote_idempotent),
                          ("voter dedupe 409", voter_dedupe), ("results exact", results_exact),
                          ("404 and 422 problems", problems), ("delete", delete)):
            if r.step(label, fn) is None and label == "create question with choices" and "q" not in state:
                break
    finally:
        delete_quietly(c, created)
    return r.done()


# ------------------------------------------------------------------ acceptance


def acceptance(c: Client, args) -> int:
    r = Runner("acceptance")
    created: list[int] = []
    tag = uuid.uuid4().hex[:10]
    state: dict[str, Any] = {}
    try:
        def legacy_form_create():
            data = urllib.parse.urlencode({"question_text": f"acceptance {tag} form", "pub_date": "2019-10-20"})
            resp = c.request("POST", "/polls/questions/", data=data.encode(),
                             content_type="application/x-www-form-urlencoded")
            expect_status(resp, 201, "form-encoded create")
            body = resp.json()
            created.append(body["id"])
            expect(resp.header("location") == f"/polls/questions/{body['id']}/" or
                   (resp.header("location") or "").endswith(f"/polls/questions/{body['id']}/"),
                   f"Location {resp.header('location')!r}")
            expect(body["pub_date"] == "2019-10-20", f"pub_date {body['pub_date']}")
            state["form"] = body

        def json_create_and_paths():
            q = create_question(c, f"acceptance {tag} json", ["yes", "no"])
            created.append(q["id"])
            state["q"] = q
            with_slash = expect_status(c.request("GET", f"/polls/questions/{q['id']}/"), 200, "with slash")
            without = expect_status(c.request("GET", f"/polls/questions/{q['id']}"), 200, "without slash")
            expect(with_slash.json() == without.json(), "trailing slash changes the answer")

        def pagination():
            first = state["form"]["id"]
            resp = expect_status(c.request("GET", f"/polls/questions/?after_id={first - 1}&limit=1"), 200, "page")
            page = resp.json()
            expect(len(page) == 1 and page[0]["id"] == first, f"page {page}")
            link = resp.header("link") or ""
            expect('rel="next"' in link and f"after_id={first}" in link and "limit=1" in link,
                   f"Link header {link!r}")

        def patch():
            q = state["q"]
            resp = c.request("PATCH", f"/polls/questions/{q['id']}/",
                             json_body={"question_text": f"acceptance {tag} patched"})
            expect_status(resp, 200, "patch")
            expect(resp.json()["question_text"] == f"acceptance {tag} patched", f"patched: {resp.text!r}")
            expect_problem(c.request("PATCH", f"/polls/questions/{q['id']}/", json_body={}), 422, "empty PATCH")

        def add_choice():
            q = state["q"]
            resp = c.request("POST", f"/polls/questions/{q['id']}/choices/", json_body={"choice_text": "maybe"})
            expect_status(resp, 201, "add choice")
            ch = resp.json()
            expect((resp.header("location") or "").endswith(f"/polls/questions/{q['id']}/choices/{ch['id']}/"),
                   f"Location {resp.header('location')!r}")
            expect_problem(c.request("POST", f"/polls/questions/{q['id']}/choices/",
                                     json_body={"choice_text": " maybe "}), 409, "duplicate choice")
            state["maybe"] = ch

        def results_order():
            q = state["q"]
            for _ in range(2):
                expect_status(c.request("POST", f"/polls/questions/{q['id']}/votes/",
                                        json_body={"choice_id": state["maybe"]["id"]}), 201, "vote")
            body = expect_status(c.request("GET", f"/polls/questions/{q['id']}/results/"), 200, "results").json()
            expect(body["choices"][0]["choice_text"] == "maybe" and body["choices"][0]["votes"] == 2,
                   f"results {body}")
            expect(body["total_votes"] == 2, f"total {body['total_votes']}")

        def method_not_allowed():
            resp = c.request("PUT", "/polls/questions/")
            expect_problem(resp, 405, "PUT on the collection")
            allow = resp.header("allow") or ""
            expect("GET" in allow and "POST" in allow, f"Allow {allow!r}")

        def request_id():
            rid = f"acc-{tag}"
            resp = c.request("GET", "/health/live", auth=False, headers={"X-Request-Id": rid})
            expect(resp.header("x-request-id") == rid, f"X-Request-Id {resp.header('x-request-id')!r}")

        def openapi():
            doc = expect_status(c.request("GET", "/openapi.json", auth=False), 200, "/openapi.json").json()
            expect(str(doc.get("openapi", "")).startswith("3"), f"openapi {doc.get('openapi')!r}")
            paths = doc.get("paths", {})
            expect(any(p.rstrip("/") == "/polls/questions" for p in paths), f"paths {sorted(paths)[:10]}")

        for label, fn in (("legacy form-encoded create", legacy_form_create),
                          ("JSON create, with and without trailing slash", json_create_and_paths),
                          ("pagination Link header", pagination), ("PATCH and empty PATCH 422", patch),
                          ("add choice, duplicate 409", add_choice), ("results ordered by votes", results_order),
                          ("405 with Allow", method_not_allowed), ("X-Request-Id echoed", request_id),
                          ("OpenAPI 3 document", openapi)):
            r.step(label, fn)
    finally:
        delete_quietly(c, created)
    return r.done()


# ------------------------------------------------------------------ load (bounded, loopback)


def require_loopback(base: str) -> None:
    host = urllib.parse.urlsplit(base).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    if os.environ.get("PIPELINE_ALLOW_REMOTE_LOAD") == "1":
        return
    raise SystemExit(f"load: refusing to load {host!r}: only loopback addresses "
                     "(set PIPELINE_ALLOW_REMOTE_LOAD=1 on an agent inside the target network)")


def load(c: Client, args) -> int:
    require_loopback(c.base)
    r = Runner("perf")
    created: list[int] = []
    try:
        q = r.step("set up a question", create_question, c, f"load {uuid.uuid4().hex[:10]}", ["a", "b", "c"])
        if q is None:
            return r.done()
        created.append(q["id"])
        choices = [ch["id"] for ch in q["choices"]]
        lock = threading.Lock()
        latencies: list[float] = []
        errors: list[str] = []
        votes = [0]
        deadline = time.monotonic() + args.max_seconds
        counter = iter(range(args.requests))

        def worker() -> None:
            while time.monotonic() < deadline:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                kind = i % 10
                t0 = time.perf_counter()
                try:
                    if kind == 0:
                        resp = c.request("POST", f"/polls/questions/{q['id']}/votes/",
                                         json_body={"choice_id": choices[i % len(choices)]})
                        ok = resp.status == 201
                    elif kind < 3:
                        resp = c.request("GET", f"/polls/questions/{q['id']}/results/")
                        ok = resp.status == 200
                    elif kind < 5:
                        resp = c.request("GET", "/polls/questions/?limit=20")
                        ok = resp.status == 200
                    else:
                        resp = c.request("GET", f"/polls/questions/{q['id']}/")
                        ok = resp.status == 200
                    status = resp.status
                except CheckFailed as err:
                    ok, status = False, str(err)
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors.append(f"request {i}: {status}")
                    elif kind == 0:
                        votes[0] += 1

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for fut in [pool.submit(worker) for _ in range(args.concurrency)]:
                fut.result()
        wall = time.perf_counter() - started
        n = len(latencies)
        lat = sorted(latencies)

        def pct(p: float) -> float:
            return lat[min(n - 1, int(p * n))] * 1000 if n else float("nan")

        print(f"     {n} requests in {wall:.2f}s ({n / wall if wall else 0:.0f}/s), concurrency "
              f"{args.concurrency}; p50 {pct(0.50):.1f} ms, p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms, "
              f"max {lat[-1] * 1000 if n else 0:.1f} ms; errors {len(errors)}", flush=True)

        def no_errors():
            expect(n >= min(args.requests, 50), f"only {n} requests completed")
            expect(not errors, f"{len(errors)} errors, first: {errors[:3]}")

        def latency():
            expect(pct(0.95) <= args.p95_ms, f"p95 {pct(0.95):.1f} ms over {args.p95_ms} ms")

        def counted_exactly():
            body = expect_status(c.request("GET", f"/polls/questions/{q['id']}/results/"), 200, "results").json()
            expect(body["total_votes"] == votes[0], f"total_votes {body['total_votes']} != {votes[0]} votes sent")

        r.step("no errors under load", no_errors)
        r.step(f"p95 under {args.p95_ms} ms", latency)
        r.step("every vote counted once", counted_exactly)
    finally:
        delete_quietly(c, created)
    return r.done()


# ------------------------------------------------------------------ security


def security(c: Client, args) -> int:
    r = Runner("security")
    token = c.token

    def auth_enforced():
        if not token:
            if args.allow_no_auth:
                print("warn security: no token configured; auth not checked", flush=True)
                return
            raise CheckFailed("no bearer token configured for this environment (auth must be on)")
        resp = c.request("GET", "/polls/questions/", auth=False)
        expect_problem(resp, 401, "no token")
        expect((resp.header("www-authenticate") or "").lower().startswith("bearer"),
               f"WWW-Authenticate {resp.header('www-authenticate')!r}")
        expect_problem(c.request("GET", "/polls/questions/", token=token + "x"), 401, "wrong token")
        expect_problem(c.request("GET", "/polls/questions/", token="Bearer"), 401, "junk token")
        expect_status(c.request("GET", "/polls/questions/?limit=1"), 200, "right token")

    def operations_open():
        for path in ("/health/live", "/health/ready", "/version", "/openapi.json"):
            expect_status(c.request("GET", path, auth=False), 200, f"{path} without a token")

    def no_server_banner():
        for path in ("/health/live", "/polls/questions/?limit=1", "/no/such/route"):
            resp = c.request("GET", path)
            server = resp.header("server") or ""
            expect(not any(ch.isdigit() for ch in server) and "actix" not in server.lower(),
                   f"{path}: Server header leaks {server!r}")
            expect(resp.header("x-powered-by") is None, f"{path}: X-Powered-By {resp.header('x-powered-by')!r}")

    def garbage_is_problem():
        expect_problem(c.request("POST", "/polls/questions/", data=b"{not json", content_type="application/json"),
                       400, "malformed JSON")
        expect_problem(c.request("POST", "/polls/questions/", data=b"\xff\xfe\x00garbage",
                                 content_type="application/json"), 400, "binary garbage")
        expect_problem(c.request("POST", "/polls/questions/", data=b"x=1", content_type="text/plain"),
                       415, "unsupported media type")
        big = json.dumps({"question_text": "x" * 17000, "pub_date": "2026-01-01"}).encode()
        expect_problem(c.request("POST", "/polls/questions/", data=big, content_type="application/json"),
                       413, "body over 16 KiB")
        expect_problem(c.request("GET", "/polls/questions/abc/"), 400, "malformed id")
        expect_problem(c.request("GET", "/polls/questions/1'%20OR%201=1--/"), 400, "SQL-ish id")
        expect_problem(c.request("GET", "/etc/passwd"), 404, "unknown route")
        expect_problem(c.request("GET", "/polls/questions/?limit=abc"), 400, "malformed query")

    def no_secrets_exposed():
        secrets = [s for s in (token, os.environ.get("POLL__DATABASE__URL"), os.environ.get("POLL__REDIS__URL")) if s]
        for path in ("/version", "/health/ready", "/health/live"):
            text = c.request("GET", path, auth=False).text
            for marker in ("postgres://", "postgresql://", "redis://", "password"):
                expect(marker not in text.lower(), f"{path} shows {marker!r}")
            for secret in secrets:
                expect(secret not in text, f"{path} shows a secret")

    def token_not_logged():
        if not args.log_file:
            print("warn security: no log file given; log check skipped", flush=True)
            return
        if not token:
            return
        with open(args.log_file, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        expect(token not in text, f"the bearer token appears in {os.path.basename(args.log_file)}")
        url = os.environ.get("POLL__DATABASE__URL", "")
        if "@" in url and ":" in url.split("@")[0].split("//")[-1]:
            password = url.split("@")[0].split("//")[-1].split(":", 1)[1]
            expect(password not in text, "the database password appears in the log")

    r.step("auth enforced (401 + WWW-Authenticate: Bearer without/with a wrong token)", auth_enforced)
    r.step("operations endpoints open without a token", operations_open)
    r.step("no server banner or version in headers", no_server_banner)
    r.step("garbage answered with problem+json, no stack trace or SQL", garbage_is_problem)
    r.step("no secrets in /version or health", no_secrets_exposed)
    r.step("token never logged", token_not_logged)
    return r.done()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="checks.py")
    sub = ap.add_subparsers(dest="suite", required=True)
    p = sub.add_parser("smoke")
    p.add_argument("base_url")
    p.add_argument("--expect-version")
    p.add_argument("--expect-commit")
    p.add_argument("--expect-environment")
    for name in ("e2e", "acceptance"):
        sub.add_parser(name).add_argument("base_url")
    p = sub.add_parser("perf")
    p.add_argument("base_url")
    p.add_argument("--requests", type=int, default=int(os.environ.get("LOAD_REQUESTS", "600")))
    p.add_argument("--concurrency", type=int, default=int(os.environ.get("LOAD_CONCURRENCY", "8")))
    p.add_argument("--max-seconds", type=float, default=float(os.environ.get("LOAD_MAX_SECONDS", "30")))
    p.add_argument("--p95-ms", type=float, default=float(os.environ.get("LOAD_P95_MS", "250")))
    p = sub.add_parser("security")
    p.add_argument("base_url")
    p.add_argument("--log-file")
    p.add_argument("--allow-no-auth", action="store_true")
    args = ap.parse_args(argv)
    if args.suite == "perf":
        args.requests = max(1, min(args.requests, 20000))
        args.concurrency = max(1, min(args.concurrency, 64))
        args.max_seconds = max(1.0, min(args.max_seconds, 300.0))
    client = Client(args.base_url, os.environ.get("POLL_API_TOKEN") or None)
    suites = {"smoke": smoke, "e2e": e2e, "acceptance": acceptance, "perf": load, "security": security}
    try:
        return suites[args.suite](client, args)
    except CheckFailed as err:
        print(f"FAIL {args.suite}: {err}", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
