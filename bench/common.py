"""What every benchmark needs: where the app is, a database, free ports, servers that are up and
then stopped, and a description of the machine."""

import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url():
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    try:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2, autocommit=True
        ) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'gatehouse_bench'").fetchone():
                conn.execute("CREATE DATABASE gatehouse_bench")
        return "postgres://postgres@127.0.0.1:5432/gatehouse_bench"
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}); using SQLite", file=sys.stderr)
        return f"sqlite:///{RESULTS / 'bench.sqlite3'}"


def machine():
    def proc(path, key):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return ""

    memory = proc("/proc/meminfo", "MemTotal")
    return {
        "cpu": proc("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory.split()[0]) / 1024 / 1024, 1) if memory else None,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
    }


def wait_until_up(name, url, deadline_s=120):
    """Until `url` answers 200: connection refused and read timeouts (a worker still importing)
    both mean "not yet"."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        try:
            response = requests.get(url, timeout=3)
            if response.ok:
                return
            last = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            last = exc.__class__.__name__
        time.sleep(0.25)
    raise SystemExit(f"{name} did not answer at {url} within {deadline_s} s (last: {last})")


def stop(procs):
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
