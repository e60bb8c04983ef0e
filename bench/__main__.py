"""Benchmarks: python -m bench [--duration 10] [--connections 32]

Starts the app under gunicorn (2 workers) on loopback, against PostgreSQL when DATABASE_URL is
set and a fresh SQLite file otherwise, and the WorkOS emulator; drives load with wrk; prints one
table and saves the numbers as JSON in bench-results/. Nothing here asserts: numbers are read.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse_wrk(output):
    def ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = int(non2xx.group(1)) if non2xx else 0
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": errors}


def wrk(url, token, duration, connections):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    return parse_wrk(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--duration", type=int, default=8, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sync-connections", type=int, default=10_000)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-" + os.urandom(24).hex(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback
        SECURE_HSTS_SECONDS="0",
        WORKOS_API_KEY="sk_test_emulator",
        WORKOS_CLIENT_ID="client_emulator",
        WORKOS_REDIRECT_URI="http://127.0.0.1/auth/callback",
        DB_CONN_MAX_AGE="600",
        WORKOS_WEBHOOK_SECRET="whsec_bench",
    )
    emulator_port, app_port = _free_port(), _free_port()
    env["WORKOS_BASE_URL"] = f"http://127.0.0.1:{emulator_port}"
    os.environ.update(env)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    procs = [subprocess.Popen([python, "-m", "workos_emulator", "--port", str(emulator_port), "--quiet"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)]
    procs.append(
        subprocess.Popen(
            [python, "-m", "gunicorn", "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{app_port}", "--log-level", "warning", "--env", "DJANGO_SETTINGS_MODULE=bench.settings"],
            cwd=ROOT,
            env=env,
        )
    )
    app = f"http://127.0.0.1:{app_port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{app}/healthz", timeout=1).ok and requests.get(f"{env['WORKOS_BASE_URL']}/_emulator/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        results = run_all(app, env["WORKOS_BASE_URL"], args)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    report(results, env["DATABASE_URL"])


def run_all(app, emulator, args):
    import django

    django.setup()
    from bench import inprocess

    results = {"http": {}, "inprocess": {}}
    token = inprocess.access_token_for_bench()
    endpoints = {
        "bare Django view (no auth)": (f"{app}/bench/bare", None),
        "Gatehouse /api/auth/me": (f"{app}/api/auth/me", token),
        "simplejwt JWTAuthentication": (f"{app}/bench/simplejwt", token),
        "simplejwt stateless": (f"{app}/bench/simplejwt-stateless", token),
    }
    for name, (url, bearer) in endpoints.items():
        assert requests.get(url, headers={"Authorization": f"Bearer {bearer}"} if bearer else {}, timeout=5).status_code == 200, name
    for url, bearer in endpoints.values():  # warm up all, then measure all
        wrk(url, bearer, 1, args.connections)
    for name, (url, bearer) in endpoints.items():
        results["http"][name] = wrk(url, bearer, args.duration, args.connections)
    results["queries"] = inprocess.queries_per_me()
    results["inprocess"] = inprocess.run(emulator, sync_connections=args.sync_connections)
    return results


def report(results, database):
    http = results["http"]
    bare = http["bare Django view (no auth)"]["rps"]
    stateless = http["simplejwt stateless"]["rps"]
    print(f"\nGatehouse benchmarks ({'PostgreSQL' if database.startswith('postgres') else 'SQLite'}, gunicorn -w 2, wrk)\n")
    print(f"{'GET /api/auth/me':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x bare':>7} {'x stateless':>12} {'queries':>8}")
    for name, row in http.items():
        queries = results["queries"].get(name, "")
        print(f"{name:34} {row['rps']:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['rps'] / bare:7.2f} {row['rps'] / stateless:12.2f} {queries!s:>8}")
    ours = http["Gatehouse /api/auth/me"]["rps"]
    print(f"  targets: ours >= 0.70x bare (is {ours / bare:.2f}x), >= 1.15x simplejwt stateless (is {ours / stateless:.2f}x), 0 queries (is {results['queries']['Gatehouse /api/auth/me']})")
    inproc = results["inprocess"]
    print("\nUnified WorkOS callback (in-process; server time excludes the emulator's; queries exclude BEGIN/COMMIT/SAVEPOINT)")
    print(f"{'case':34} {'server ms':>10} {'WorkOS calls':>13} {'DB queries':>11} {'target':>14}")
    for case, target in (("existing user", "1 call, <=3 q"), ("new user", "1 call, <=8 q")):
        row = inproc["callback"][case]
        print(f"{case:34} {row['server_ms']:10.2f} {row['workos_calls']:13} {row['queries']:11} {target:>14}")
    pw = inproc["password"]
    print("\nPassword login (mean ms; must match within 20 %)")
    for case in ("right password", "wrong password", "unknown email"):
        print(f"  {case:32} {pw[case]:8.2f}")
    print(f"  spread (max/min - 1): {pw['spread_pct']:.1f} %")
    print("\nJWKS fetches per 1,000 verified tokens (target: 1 per cache period)")
    for name, count in inproc["jwks"].items():
        print(f"  {name:32} {count}")
    sync = inproc["sync"]
    print(f"\nSSO sync of {sync['connections']:,} connections: {sync['seconds']:.2f} s, {sync['workos_requests']} WorkOS requests (target {-(-sync['connections'] // 100)}), {sync['queries']} DB queries ({sync['queries_per_page']:.1f} per page)")
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    path = out / f"bench-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps({"database": database.split("@")[-1], **results}, indent=2, default=str))
    print(f"\nSaved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
