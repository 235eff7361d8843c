#!/usr/bin/env python3
"""Deployment records, promotion rules and DORA metrics for the ci/ pipeline scripts.

Called by ci/lib/pipeline.sh; not meant to be run by hand (but harmless). Python 3.9+
standard library only.

Records are JSON lines, appended and never rewritten (an audit log). Three kinds:

  {"type": "deployment", "id", "environment", "version", "commit", "commit_time",
   "digest", "build_version", "target", "base_url", "action": "deploy"|"rollback",
   "rolls_back": id|null, "previous_version", "time", "result": "success"|"failed",
   "reason", "checks": ["smoke"]}
  {"type": "check", "deployment": id, "environment", "version", "commit", "check",
   "result": "passed"|"failed", "time"}
  {"type": "teardown", "environment", "time"}

A deployment's "checks passed" is its own "checks" list plus every check record for it,
the latest result of each check winning.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import secrets
import statistics
import subprocess
import sys
from typing import Any

UTC = dt.timezone.utc


# ------------------------------------------------------------------ records


def now_iso() -> str:
    return dt.datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> dt.datetime:
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def load(path: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    if not os.path.exists(path):
        return records
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise SystemExit(f"{path}:{number}: not a JSON record: {err}") from err
    return records


def append(path: str, record: dict[str, Any]) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    # One write() of one line on an O_APPEND file: concurrent writers never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def deployments(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deployment records in file order, each with its folded check results."""
    out: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for rec in records:
        kind = rec.get("type")
        if kind == "deployment":
            dep = dict(rec)
            dep["check_results"] = {name: "passed" for name in rec.get("checks", [])}
            dep["rolled_back_by"] = None
            out.append(dep)
            by_id[dep["id"]] = dep
        elif kind == "check":
            dep = by_id.get(rec.get("deployment", ""))
            if dep is not None:
                dep["check_results"][rec["check"]] = rec["result"]
    for dep in out:
        target = dep.get("rolls_back")
        if dep.get("action") == "rollback" and target in by_id and dep.get("result") == "success":
            by_id[target]["rolled_back_by"] = dep["id"]
    for dep in out:
        dep["checks_passed"] = sorted(k for k, v in dep["check_results"].items() if v == "passed")
        dep["checks_failed"] = sorted(k for k, v in dep["check_results"].items() if v != "passed")
    return out


def env_deployments(records: list[dict[str, Any]], env: str) -> list[dict[str, Any]]:
    return [d for d in deployments(records) if d.get("environment") == env]


def torn_down_after(records: list[dict[str, Any]], env: str) -> bool:
    """True when the latest event of ENV is a teardown (no live deployment)."""
    state = False
    for rec in records:
        if rec.get("environment") != env:
            continue
        if rec.get("type") == "teardown":
            state = True
        elif rec.get("type") == "deployment":
            state = False
    return state


def live(records: list[dict[str, Any]], env: str) -> dict[str, Any] | None:
    """The deployment serving ENV now: the latest successful one, unless torn down since
    or followed by a failed one that left the environment down (recorded as 'down')."""
    if torn_down_after(records, env):
        return None
    current = None
    for dep in env_deployments(records, env):
        if dep.get("result") == "success":
            current = dep
        elif dep.get("left_down"):
            current = None
    return current


def summary(dep: dict[str, Any] | None) -> dict[str, Any]:
    if dep is None:
        return {}
    keys = ("id", "environment", "version", "commit", "digest", "build_version", "base_url",
            "action", "time", "result", "checks_passed", "checks_failed", "rolled_back_by",
            "target")
    return {k: dep.get(k) for k in keys}


# ------------------------------------------------------------------ artifacts, environments


def artifact_digest(directory: str) -> str:
    """sha256 over the sorted (sha256, path) list of the artifact's files, meta.json aside:
    the same bytes give the same digest wherever they are stored or whatever they are named."""
    lines = []
    for base, _dirs, files in os.walk(directory):
        for name in files:
            full = os.path.join(base, name)
            rel = os.path.relpath(full, directory)
            if rel == "meta.json":
                continue
            digest = hashlib.sha256()
            with open(full, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            lines.append(f"{digest.hexdigest()}  {rel}\n")
    lines.sort(key=lambda line: line.split("  ", 1)[1])
    return "sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def schema_of(name: str) -> str:
    """The PostgreSQL schema of an environment, as poll_domain::Environment derives it
    (slug of at most 40 characters, then FNV-1a 64 of the exact name)."""
    out = ""
    for char in name:
        if len(out) >= 40:
            break
        if char.isascii() and char.isalnum():
            out += char.lower()
        elif out and not out.endswith("_"):
            out += "_"
    out = out.rstrip("_")
    value = 0xCBF29CE484222325
    for byte in name.encode("utf-8"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"env_{out}_{value:016x}"


# ------------------------------------------------------------------ rules


class Refused(Exception):
    """A promotion rule refused."""


def gate(records: list[dict[str, Any]], env: str, required: list[str], *,
         commit: str | None = None, version: str | None = None) -> dict[str, Any]:
    """The latest successful deployment to ENV of COMMIT (or VERSION) whose latest result of
    every REQUIRED check is 'passed'. Raises Refused with the reason otherwise."""
    what = f"commit {commit}" if commit else f"version {version}"
    candidates = [
        d for d in env_deployments(records, env)
        if (commit is None or d.get("commit") == commit)
        and (version is None or d.get("version") == version)
    ]
    if not candidates:
        raise Refused(f"no {env} deployment of {what} is recorded")
    reasons = []
    for dep in reversed(candidates):
        if dep.get("result") != "success":
            reasons.append(f"{dep['id']}: deployment {dep.get('result')}")
            continue
        missing = [c for c in required if dep["check_results"].get(c) != "passed"]
        if missing:
            detail = ", ".join(f"{c}={dep['check_results'].get(c, 'not run')}" for c in missing)
            reasons.append(f"{dep['id']}: {detail}")
            continue
        return dep
    raise Refused(
        f"no {env} deployment of {what} passed all of [{', '.join(required)}] "
        f"({'; '.join(reasons)})"
    )


def rollback_target(records: list[dict[str, Any]], env: str, to: str | None) -> dict[str, Any]:
    """What `ci/rollback ENV` redeploys: returns {"from": dep|None, "to": dep, "noop": bool}."""
    deps = env_deployments(records, env)
    if not deps:
        raise Refused(f"no deployment of {env} is recorded: nothing to roll back")
    current = live(records, env)
    latest = deps[-1]
    if to:
        ok = [d for d in deps if d.get("version") == to and d.get("result") == "success"]
        if not ok:
            raise Refused(f"version {to} was never deployed successfully to {env}")
        noop = current is not None and current.get("version") == to
        return {"from": latest, "to": ok[-1], "noop": noop}
    if current is not None and current.get("action") == "rollback" and latest.get("id") == current.get("id"):
        # Already rolled back: running the same command again changes nothing (idempotent).
        return {"from": latest, "to": current, "noop": True}
    # The change being undone: the latest deployment (failed or live).
    bad = latest
    bad_version = bad.get("version")
    for dep in reversed(deps[:-1]):
        if dep.get("result") != "success" or dep.get("version") == bad_version:
            continue
        if dep.get("rolled_back_by"):
            continue
        return {"from": bad, "to": dep, "noop": False}
    raise Refused(f"{env} has no earlier successful deployment of another version to roll back to")


# ------------------------------------------------------------------ DORA


def git_commit_times(repo: str, commit: str, since_commit: str | None) -> list[tuple[str, int]] | None:
    """(sha, committer unix time) of the commits that COMMIT brought: since_commit..commit.
    None when git cannot tell (no repository, unknown commit)."""
    if not repo or not os.path.isdir(repo):
        return None
    rng = [commit] if not since_commit else [f"{since_commit}..{commit}"]
    try:
        res = subprocess.run(
            ["git", "-C", repo, "log", "--format=%H %ct", *rng, "--"],
            check=True, capture_output=True, text=True,
        )
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    out = []
    for line in res.stdout.splitlines():
        sha, _, ts = line.partition(" ")
        if sha and ts.isdigit():
            out.append((sha, int(ts)))
    return out


def band(metric: str, value: float | None) -> str:
    """Performance band after the DORA reports' cluster thresholds (2023)."""
    if value is None:
        return "n/a"
    day, week, month = 86400.0, 7 * 86400.0, 30 * 86400.0
    if metric == "frequency":  # deployments per day
        if value >= 1:
            return "elite"
        if value >= 1 / 7:
            return "high"
        if value >= 1 / 30:
            return "medium"
        return "low"
    if metric == "lead":
        if value < day:
            return "elite"
        if value <= week:
            return "high"
        if value <= month:
            return "medium"
        return "low"
    if metric == "cfr":
        if value <= 0.05:
            return "elite"
        if value <= 0.10:
            return "high"
        if value <= 0.15:
            return "medium"
        return "low"
    if metric == "restore":
        if value < 3600:
            return "elite"
        if value < day:
            return "high"
        if value <= week:
            return "medium"
        return "low"
    return "n/a"


def dora(records: list[dict[str, Any]], env: str, repo: str | None, days: float,
         now: dt.datetime) -> dict[str, Any]:
    start = now - dt.timedelta(days=days)
    prod = [d for d in env_deployments(records, env) if d.get("time")]
    for dep in prod:
        dep["_t"] = parse_time(dep["time"])
    prod.sort(key=lambda d: d["_t"])
    in_window = [d for d in prod if start <= d["_t"] <= now]

    changes = [d for d in in_window if d.get("action", "deploy") == "deploy"]
    succeeded = [d for d in changes if d.get("result") == "success"]

    # Lead time: each commit, from its commit time to the first successful production
    # deployment that contained it.
    lead: list[float] = []
    previous_commit = None
    seen: set[str] = set()
    for dep in prod:
        if dep.get("result") != "success":
            continue
        commit = dep.get("commit", "")
        commits = git_commit_times(repo or "", commit, previous_commit) if commit else None
        if commits is None:
            commits = []
            if dep.get("commit_time"):
                commits = [(commit, int(parse_time(dep["commit_time"]).timestamp()))]
        if dep in succeeded:
            for sha, ts in commits:
                if sha in seen:
                    continue
                lead.append(dep["_t"].timestamp() - ts)
        seen.update(sha for sha, _ in commits)
        previous_commit = commit or previous_commit

    # Change failure: a change deployment that failed or was rolled back.
    failures = [d for d in changes if d.get("result") != "success" or d.get("rolled_back_by")]

    # Time to restore: from a failure to the next successful deployment that stayed.
    restore: list[float] = []
    unrestored = 0
    for bad in failures:
        fixed = None
        for dep in prod:
            if dep["_t"] <= bad["_t"] or dep is bad:
                continue
            if dep.get("result") == "success" and not dep.get("rolled_back_by"):
                fixed = dep
                break
        if fixed is None:
            unrestored += 1
        else:
            restore.append((fixed["_t"] - bad["_t"]).total_seconds())

    per_day = len(succeeded) / days if days > 0 else 0.0
    lead_median = statistics.median(lead) if lead else None
    cfr = (len(failures) / len(changes)) if changes else None
    restore_median = statistics.median(restore) if restore else None
    return {
        "environment": env,
        "window": {"days": days, "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "end": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "deployment_frequency": {
            "deployments": len(succeeded), "per_day": round(per_day, 4),
            "per_week": round(per_day * 7, 4), "band": band("frequency", per_day if changes else None),
        },
        "lead_time_for_changes": {
            "median_seconds": None if lead_median is None else round(lead_median, 1),
            "commits": len(lead), "band": band("lead", lead_median),
        },
        "change_failure_rate": {
            "failed": len(failures), "deployments": len(changes),
            "rate": None if cfr is None else round(cfr, 4), "band": band("cfr", cfr),
        },
        "time_to_restore": {
            "median_seconds": None if restore_median is None else round(restore_median, 1),
            "restored": len(restore), "unrestored": unrestored,
            "band": band("restore", restore_median),
        },
    }


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def dora_table(res: dict[str, Any]) -> str:
    freq = res["deployment_frequency"]
    lead = res["lead_time_for_changes"]
    cfr = res["change_failure_rate"]
    ttr = res["time_to_restore"]
    rate = "n/a" if cfr["rate"] is None else f"{cfr['rate'] * 100:.1f}% ({cfr['failed']} of {cfr['deployments']})"
    rows = [
        ("metric", "value", "band"),
        ("deployment frequency",
         f"{freq['per_day']:.2f}/day, {freq['per_week']:.2f}/week ({freq['deployments']} deployments)",
         freq["band"]),
        ("lead time for changes",
         f"median {human_duration(lead['median_seconds'])} over {lead['commits']} commits", lead["band"]),
        ("change failure rate", rate, cfr["band"]),
        ("time to restore",
         f"median {human_duration(ttr['median_seconds'])} ({ttr['restored']} restored, "
         f"{ttr['unrestored']} open)", ttr["band"]),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"DORA metrics for {res['environment']}: {res['window']['days']:g} days to {res['window']['end']}"]
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ------------------------------------------------------------------ CLI


def kv(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"expected KEY=VALUE, got {pair!r}")
        if key == "checks":
            out[key] = [c for c in value.split(",") if c]
        elif key == "left_down":
            out[key] = value in ("1", "true", "yes")
        else:
            out[key] = value if value != "" else None
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="pipeline.py")
    ap.add_argument("--records", default=os.environ.get("PIPELINE_RECORDS", "deployments.jsonl"))
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("record-deployment")
    p.add_argument("fields", nargs="*")
    p = sub.add_parser("record-check")
    p.add_argument("fields", nargs="*")
    p = sub.add_parser("record-teardown")
    p.add_argument("environment")
    p = sub.add_parser("live")
    p.add_argument("environment")
    p.add_argument("--field")
    p = sub.add_parser("latest")
    p.add_argument("environment")
    p.add_argument("--field")
    p = sub.add_parser("env-for-url")
    p.add_argument("base_url")
    p = sub.add_parser("gate")
    p.add_argument("environment")
    p.add_argument("--commit")
    p.add_argument("--version")
    p.add_argument("--require", required=True)
    p = sub.add_parser("rollback-target")
    p.add_argument("environment")
    p.add_argument("--to")
    p = sub.add_parser("history")
    p.add_argument("environment", nargs="?")
    p = sub.add_parser("dora")
    p.add_argument("--env", default="prod")
    p.add_argument("--repo")
    p.add_argument("--days", type=float, default=30.0)
    p.add_argument("--now")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("new-id")
    p.add_argument("environment")
    p = sub.add_parser("validate")
    p = sub.add_parser("environments")
    p = sub.add_parser("schema")
    p.add_argument("environment")
    p = sub.add_parser("artifact-digest")
    p.add_argument("directory")
    p = sub.add_parser("write-json")
    p.add_argument("file")
    p.add_argument("fields", nargs="*")
    p = sub.add_parser("json-get")
    p.add_argument("file")
    p.add_argument("field")

    args = ap.parse_args(argv)
    path = args.records

    if args.cmd == "schema":
        print(schema_of(args.environment))
        return 0
    if args.cmd == "artifact-digest":
        print(artifact_digest(args.directory))
        return 0
    if args.cmd == "write-json":
        data = {}
        for pair in args.fields:
            key, _, value = pair.partition("=")
            data[key] = value
        tmp = f"{args.file}.tmp.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, args.file)
        return 0
    if args.cmd == "json-get":
        try:
            with open(args.file, encoding="utf-8") as handle:
                value = json.load(handle).get(args.field)
        except (OSError, ValueError):
            return 1
        if value is None:
            return 1
        print(value)
        return 0
    if args.cmd == "new-id":
        stamp = dt.datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        print(f"{stamp}-{secrets.token_hex(3)}")
        return 0
    if args.cmd == "record-deployment":
        rec = {"type": "deployment", "time": now_iso(), "checks": [], "action": "deploy"}
        rec.update(kv(args.fields))
        for key in ("id", "environment", "version", "result"):
            if not rec.get(key):
                raise SystemExit(f"record-deployment: {key} is required")
        append(path, rec)
        return 0
    if args.cmd == "record-check":
        rec = {"type": "check", "time": now_iso()}
        rec.update(kv(args.fields))
        for key in ("deployment", "check", "result"):
            if not rec.get(key):
                raise SystemExit(f"record-check: {key} is required")
        append(path, rec)
        return 0
    if args.cmd == "record-teardown":
        append(path, {"type": "teardown", "environment": args.environment, "time": now_iso()})
        return 0

    records = load(path)
    if args.cmd == "environments":
        seen = []
        for rec in records:
            env = rec.get("environment")
            if env and env not in seen:
                seen.append(env)
        print("\n".join(seen))
        return 0
    if args.cmd == "validate":
        deployments(records)
        print(f"{len(records)} records")
        return 0
    if args.cmd in ("live", "latest"):
        if args.cmd == "live":
            dep = live(records, args.environment)
        else:
            deps = env_deployments(records, args.environment)
            dep = deps[-1] if deps else None
        if dep is None:
            return 1
        if args.field:
            value = summary(dep).get(args.field)
            if isinstance(value, list):
                value = ",".join(value)
            print("" if value is None else value)
        else:
            print(json.dumps(summary(dep), sort_keys=True))
        return 0
    if args.cmd == "env-for-url":
        want = args.base_url.rstrip("/")
        for dep in reversed(deployments(records)):
            if (dep.get("base_url") or "").rstrip("/") == want:
                print(dep["environment"])
                return 0
        return 1
    if args.cmd == "gate":
        required = [c for c in args.require.split(",") if c]
        try:
            dep = gate(records, args.environment, required, commit=args.commit, version=args.version)
        except Refused as err:
            print(str(err), file=sys.stderr)
            return 1
        print(json.dumps(summary(dep), sort_keys=True))
        return 0
    if args.cmd == "rollback-target":
        try:
            res = rollback_target(records, args.environment, args.to)
        except Refused as err:
            print(str(err), file=sys.stderr)
            return 1
        print(json.dumps({"from": summary(res["from"]), "to": summary(res["to"]), "noop": res["noop"]},
                         sort_keys=True))
        return 0
    if args.cmd == "history":
        rows = [d for d in deployments(records)
                if args.environment is None or d.get("environment") == args.environment]
        for d in rows:
            flags = ",".join(d["checks_passed"]) or "-"
            extra = f" rolled-back-by={d['rolled_back_by']}" if d.get("rolled_back_by") else ""
            print(f"{d.get('time')}  {d.get('environment'):<12} {d.get('action', 'deploy'):<8} "
                  f"{d.get('version'):<28} {d.get('result'):<8} checks={flags}"
                  f"{' failed=' + ','.join(d['checks_failed']) if d['checks_failed'] else ''}{extra}")
        return 0
    if args.cmd == "dora":
        now = parse_time(args.now) if args.now else dt.datetime.now(UTC)
        res = dora(records, args.env, args.repo, args.days, now)
        print(json.dumps(res, indent=2, sort_keys=True) if args.json else dora_table(res))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
