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


def app_env(settings_module):
    """The environment of the benchmark's app processes: production settings on loopback (plain
    HTTP), WorkOS's keys as the emulator knows them, the benchmark's database."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE=settings_module,
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-" + os.urandom(24).hex(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback
        SECURE_HSTS_SECONDS="0",
        WORKOS_API_KEY="sk_test_emulator",
        WORKOS_CLIENT_ID="client_emulator",
        WORKOS_REDIRECT_URI="http://127.0.0.1/auth/callback",
        WORKOS_WEBHOOK_SECRET="whsec_bench",
    )
    return env


class Emulator:
    """The emulator's control surface, as the benchmarks use it."""

    def __init__(self, url):
        self.url = url

    def post(self, path, body):
        response = requests.post(f"{self.url}/_emulator/{path}", json=body, timeout=120)
        response.raise_for_status()
        return response.json()

    def latency(self, ms):
        """Every API answer from now on after `ms` (0: at once)."""
        requests.delete(f"{self.url}/_emulator/latency", timeout=10).raise_for_status()
        if ms:
            self.post("latency", {"ms": ms})

    def clear_log(self):
        requests.delete(f"{self.url}/_emulator/requests", timeout=5)

    def log(self):
        return requests.get(f"{self.url}/_emulator/requests", timeout=30).json()
