"""Benchmarks: python -m bench [--duration 2] [--repeats 15] [--connections 16] [--sync-connections 50000]

What users will see, measured side by side in one run:

- HTTP: `GET /api/auth/me` beside a bare Django view (same middleware, same server) and beside
  simplejwt's stateless authentication, each with one access token and with 20,000 distinct
  tokens in rotation (many users: no token is seen twice by a worker's cache), under the shipped
  gunicorn.conf.py and under gunicorn's default sync workers. Load windows are interleaved
  (A B C ... A B C ...) and each row is the median of the repeats: many short windows, so that
  the windows a ratio pairs are seconds apart and a noisy moment of the machine hits both.
- In process: the same requests without a server (plain view vs DRF, cached vs uncached token),
  token verification alone, the unified callback, password sign-in timing, JWKS fetches and the
  SSO sync at two sizes.

The database is DATABASE_URL, else the local PostgreSQL when it answers (database
gatehouse_bench, created when missing), else a SQLite file in bench-results/. It is kept, and a
second run reuses it. Prints one table with the targets beside the numbers, saves JSON in
bench-results/ and prints the change against the previous run on the same kind of database.
Nothing here asserts: numbers are read.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from bench import storm
from bench.common import RESULTS, ROOT, app_env, free_port, machine, stop, wait_until_up
from bench.report import report

ROTATE = Path(__file__).resolve().parent / "rotate.lua"
DISTINCT_TOKENS = 20_000
WORKERS = 2


# --- wrk ----------------------------------------------------------------------------------------


def parse_wrk(output):
    def ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),
        "p99_ms": ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)),
        "errors": (int(non2xx.group(1)) if non2xx else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    }


def wrk(url, token_file, duration, connections):
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(ROTATE),
        url,
        "--",
        str(token_file),
    ]
    return parse_wrk(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


# --- servers ------------------------------------------------------------------------------------


def start_servers(env):
    python = sys.executable
    ports = {"emulator": free_port(), "shipped": free_port(), "metrics": free_port(), "sync": free_port()}
    env["WORKOS_BASE_URL"] = f"http://127.0.0.1:{ports['emulator']}"
    procs = [
        subprocess.Popen(
            [python, "-m", "workos_emulator", "--port", str(ports["emulator"]), "--quiet"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        ),
        # the shipped configuration, as the README deploys it (access log off, as for the peer;
        # metrics off: no scraper is configured)
        subprocess.Popen(
            [python, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi", "--log-level", "warning"],
            cwd=ROOT,
            env={
                **env,
                "BIND": f"127.0.0.1:{ports['shipped']}",
                "WEB_CONCURRENCY": str(WORKERS),
                "GUNICORN_ACCESSLOG": "",
            },
        ),
        # the same with metrics on (a scraper may read them: every worker counts)
        subprocess.Popen(
            [python, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi", "--log-level", "warning"],
            cwd=ROOT,
            env={
                **env,
                "BIND": f"127.0.0.1:{ports['metrics']}",
                "WEB_CONCURRENCY": str(WORKERS),
                "GUNICORN_ACCESSLOG": "",
                "METRICS_TOKEN": "bench-scrape",
            },
        ),
        # gunicorn's defaults: sync workers, one connection per request
        subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-w",
                str(WORKERS),
                "-b",
                f"127.0.0.1:{ports['sync']}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        ),
    ]
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        wait_until_up("the emulator", f"{urls['emulator']}/_emulator/health")
        wait_until_up("gunicorn (shipped config)", f"{urls['shipped']}/healthz")
        wait_until_up("gunicorn (shipped config, metrics on)", f"{urls['metrics']}/healthz")
        wait_until_up("gunicorn (sync workers)", f"{urls['sync']}/healthz")
    except BaseException:
        stop(procs)
        raise
    return procs, urls


# --- runs ---------------------------------------------------------------------------------------

ENDPOINTS = {
    "bare Django view": "/bench/bare",
    "Gatehouse /api/auth/me": "/api/auth/me",
    "simplejwt stateless": "/bench/simplejwt-stateless",
}


def http_cells():
    """(server, tokens, endpoint) measured: the full matrix on the shipped server, and the
    server comparison with many tokens."""
    cells = [("shipped", tokens, name) for tokens in ("one", "many") for name in ENDPOINTS]
    cells += [("sync", "many", "bare Django view"), ("sync", "many", "Gatehouse /api/auth/me")]
    cells += [("metrics", "many", "Gatehouse /api/auth/me")]
    return cells


def run_http(urls, token_files, args):
    cells = http_cells()
    for server, tokens, name in cells:
        token = token_files[tokens].read_text().split("\n", 1)[0]
        status = requests.get(
            urls[server] + ENDPOINTS[name], headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).status_code
        if status != 200:
            raise SystemExit(f"{server} {name} answered {status}, not 200")
        wrk(urls[server] + ENDPOINTS[name], token_files[tokens], 1, args.connections)  # warm up
    samples = {cell: [] for cell in cells}
    for repeat in range(args.repeats):
        for cell in cells[repeat % len(cells) :] + cells[: repeat % len(cells)]:  # A B C.., B C.. A
            server, tokens, name = cell
            samples[cell].append(
                wrk(urls[server] + ENDPOINTS[name], token_files[tokens], args.duration, args.connections)
            )
    return {
        "|".join(cell): {
            "rps": statistics.median(s["rps"] for s in runs),
            "p50_ms": statistics.median(s["p50_ms"] for s in runs),
            "p99_ms": statistics.median(s["p99_ms"] for s in runs),
            "errors": sum(s["errors"] for s in runs),
            "rps_samples": [s["rps"] for s in runs],
        }
        for cell, runs in samples.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--duration", type=int, default=2, help="seconds per load window")
    parser.add_argument("--repeats", type=int, default=15, help="interleaved windows per row (median; at least 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sync-connections", type=int, default=50_000)
    parser.add_argument("--storm-latency-ms", type=int, default=250, help="WorkOS's latency in the storm rows")
    parser.add_argument("--storm-people", type=int, default=400, help="callbacks of the 200-concurrent storm")
    parser.add_argument("--no-storm", action="store_true", help="leave out the storm rows (bench.storm)")
    args = parser.parse_args(argv)
    if args.repeats < 3:
        parser.error("--repeats must be at least 3: a median of fewer is not a measurement")
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")
    RESULTS.mkdir(exist_ok=True)
    env = app_env("bench.settings")
    env.update(
        DB_CONN_MAX_AGE="600",
        # the bench's tokens are minted once, before the load windows: they must outlive the run
        JWT_ACCESS_LIFETIME="6h",
    )
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    procs, urls = start_servers(env)
    os.environ.update(env)
    work = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    try:
        import django

        django.setup()
        from bench import inprocess  # its models and views need the settings the environment above just chose

        many = inprocess.bench_tokens(DISTINCT_TOKENS)
        token_files = {"one": work / "one.txt", "many": work / "many.txt"}
        token_files["one"].write_text(many[0] + "\n")
        token_files["many"].write_text("\n".join(many) + "\n")
        results = {
            "machine": machine(),
            "database": inprocess.database_description(),
            "settings": {**vars(args), "workers": WORKERS},
        }
        results["http"] = run_http(urls, token_files, args)
        results["inprocess"] = inprocess.run(
            urls["emulator"], many, sync_sizes=(args.sync_connections // 5, args.sync_connections)
        )
    finally:
        stop(procs)
        shutil.rmtree(work, ignore_errors=True)
    if not args.no_storm:
        results["storm"] = {
            "latency_ms": args.storm_latency_ms,
            "setups": storm.run(args.storm_latency_ms, args.storm_people),
        }
    report(results, RESULTS)


if __name__ == "__main__":
    main()
