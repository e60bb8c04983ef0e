"""Sign-in storms: python -m bench.storm [--latency-ms 250] [--people 400] [--setup NAME]
(`make bench` runs them too, after the other rows)

A whole customer signing in at once, while WorkOS answers every API call after `--latency-ms`
(the emulator's latency rule). Side by side in one run, each server setup gets its own people:

- 200 concurrent SPA callbacks (`POST /api/auth/workos/callback`), each a distinct person, half of
  them new to Gatehouse (the other half signed in once before, with WorkOS answering at once);
- then 200 concurrent refreshes of the pairs those callbacks returned;
- the same at 50 concurrent, with people of their own;
- `/api/auth/me` sampled throughout (distinct tokens), during each storm and while idle.

Each person comes from an address of their own through a trusted proxy (TRUSTED_PROXY_COUNT=1),
as a load balancer would send them: the throttles apply as in production.

A row's limit is the smaller of concurrency / latency (the waiting) and cores / CPU per request
(the work: the machine's CPU time during the storm, the load generator's own excluded, per
request), both measured in the same run; the ratio is throughput over that limit. Peak memory
is the app's processes together (the server and its workers). Nothing here asserts.
"""

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, Emulator, app_env, free_port, stop, wait_until_up
from bench.report import storm_table

SETUPS = {
    # the configuration before the storm work: 2 workers x 4 threads, persistent connections
    "before (2 x 4 threads)": {"GUNICORN_THREADS": "4", "DB_POOL": "false", "DB_CONN_MAX_AGE": "600"},
    # the shipped one without workos_integration.waiting's gate: what the gate buys
    "shipped, no gate": {"WORKOS_AFTER_WAIT_SLOTS": "100000"},
    "shipped": {},
}
ME_EVERY_S = 0.02


# --- a small HTTP/1.1 client on asyncio: 200 connections cost the generator little CPU -----------


class Connection:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, body=None, headers=()):
        payload = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(payload)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in headers]
        message = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: once more
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(message)
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError
                break
            except (ConnectionError, OSError):
                self.close()
                if attempt == 2:
                    raise
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        content = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, content

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _flood(url, jobs, concurrency):
    """Run `jobs` (method, path, body, headers) over `concurrency` connections; per job
    (status, seconds, body)."""
    host, port = url.split("//", 1)[1].split(":")
    results = [None] * len(jobs)
    queue = iter(range(len(jobs)))

    async def worker():
        conn = Connection(host, int(port))
        for index in queue:
            method, path, body, headers = jobs[index]
            started = time.perf_counter()
            try:
                status, content = await conn.request(method, path, body, headers)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                status, content = 0, str(exc).encode()
                conn.close()
            results[index] = (status, time.perf_counter() - started, content)
        conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def _sample_me(url, tokens, stop_event, out):
    """/api/auth/me every ME_EVERY_S over one kept-alive connection, in a process of its own (the
    load generator's busy loop would otherwise delay the samples it measures)."""
    host, port = url.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    samples, index = [], 0
    while not stop_event.is_set():
        started = time.perf_counter()
        try:
            conn.request("GET", "/api/auth/me", headers={"Authorization": f"Bearer {tokens[index % len(tokens)]}"})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
        samples.append((status, time.perf_counter() - started))
        index += 1
        time.sleep(ME_EVERY_S)
    conn.close()
    out.put(samples)


class MeSampler:
    def __init__(self, url, tokens):
        context = multiprocessing.get_context("spawn")
        self.stop_event, self.out = context.Event(), context.Queue()
        self.process = context.Process(target=_sample_me, args=(url, tokens, self.stop_event, self.out))

    def __enter__(self):
        self.process.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.samples = self.out.get(timeout=60)
        self.process.join(10)


async def _storm(url, jobs, concurrency, me_tokens, parts):
    """The flood, with /api/auth/me sampled beside it; wall time and CPU of the whole machine
    (the load generator excluded) and of each of `parts` ({name: pid of a process tree})."""
    trees = {name: _tree(pid) for name, pid in parts.items()}
    with MeSampler(url, me_tokens) as sampler:
        await asyncio.sleep(0.5)  # the sampler's process is up
        sampler_pids = [sampler.process.pid]
        before = {name: _process_cpu(pids) for name, pids in trees.items()}
        cpu, own, others, started = _machine_cpu(), _own_cpu(), _process_cpu(sampler_pids), time.perf_counter()
        results = await _flood(url, jobs, concurrency)
        wall = time.perf_counter() - started
        load = _own_cpu() - own + _process_cpu(sampler_pids) - others
        machine_cpu = _machine_cpu() - cpu - load
        split = {name: _process_cpu(pids) - before[name] for name, pids in trees.items()}
    return results, wall, {"machine": machine_cpu, **split}, sampler.samples


# --- measurements -----------------------------------------------------------------------------


def _machine_cpu():
    """Seconds of CPU the whole machine has spent busy (every core, /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _process_cpu(pids):
    """Seconds of CPU the processes have spent (utime + stime, children reaped excluded)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def _own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _tree(pid):
    """pid and its descendants."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def _rss_mb(pids):
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class PeakMemory(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, _rss_mb(_tree(self.pid)))
            time.sleep(0.2)


def _summary(results, wall):
    ok = [seconds for status, seconds, _ in results if status == 200]
    errors = [(status, content[:120]) for status, _, content in results if status != 200]
    return {
        "requests": len(results),
        "rps": len(ok) / wall if wall else 0.0,
        "p50_ms": statistics.median(ok) * 1000 if ok else None,
        "p99_ms": _p99(ok) * 1000 if ok else None,
        "errors": len(errors),
        "error_sample": sorted({f"{s} {c.decode(errors='replace')}" for s, c in errors})[:3],
    }


def _p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# --- one setup ----------------------------------------------------------------------------------


def _address(n):
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _people(emulator, prefix, count):
    emails = [f"{prefix}-{n}@storm.example" for n in range(count)]
    emulator.post("seed", {"users": [{"email": e, "password": "storm-password-1"} for e in emails]})
    return emails


def _callbacks(emulator, emails, first_address):
    codes = [emulator.post("codes", {"email": e})["code"] for e in emails]
    return [
        ("POST", "/api/auth/workos/callback", {"code": code}, [("X-Forwarded-For", _address(first_address + n))])
        for n, code in enumerate(codes)
    ]


def _refreshes(pairs, first_address):
    return [
        (
            "POST",
            "/api/token/refresh/",
            {"refresh": pair["refresh_token"]},
            [("X-Forwarded-For", _address(first_address + n))],
        )
        for n, pair in enumerate(pairs)
    ]


def _pairs(results):
    return [json.loads(content) for status, _, content in results if status == 200]


@dataclass(frozen=True)
class Plan:
    latency_ms: int
    people: int  # callbacks of the 200-concurrent storm (the 50-concurrent one has half)
    prefix: str  # each setup's people are its own


def run_setup(name, overrides, env, emulator, plan, emulator_pid):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi", "--log-level", "warning"],
        cwd=ROOT,
        env={**env, **overrides, "BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESSLOG": ""},
        stdout=subprocess.DEVNULL,  # the audit's log lines: written, as in production, not shown
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    rows, peak = {}, PeakMemory(server.pid)
    try:
        wait_until_up(name, f"{url}/healthz")
        peak.start()
        parts = {"app": server.pid, "emulator": emulator_pid}
        latency_s = plan.latency_ms / 1000
        for concurrency in (200, 50):
            count = plan.people if concurrency == 200 else plan.people // 2
            prefix = f"s{plan.prefix}-c{concurrency}"
            emulator.latency(0)
            known = _people(emulator, f"{prefix}-known", count // 2)
            fresh = _people(emulator, f"{prefix}-new", count - count // 2)
            warm = asyncio.run(_flood(url, _callbacks(emulator, known, 1), 20))  # they signed in before
            me_tokens = [pair["access_token"] for pair in _pairs(warm)]
            if len(me_tokens) != len(known):
                raise SystemExit(f"{name}: the warm-up sign-ins failed: {_summary(warm, 1)['error_sample']}")
            idle = _idle_me(url, me_tokens)
            jobs = _callbacks(emulator, known + fresh, 100_000)
            emulator.latency(plan.latency_ms)
            results, wall, cpu, me = asyncio.run(_storm(url, jobs, concurrency, me_tokens, parts))
            rows[f"callbacks|{concurrency}"] = _row(results, wall, cpu, me, concurrency, latency_s)
            rows[f"callbacks|{concurrency}"]["me_idle_p99_ms"] = idle
            refresh_jobs = _refreshes(_pairs(results), 200_000)
            results, wall, cpu, me = asyncio.run(_storm(url, refresh_jobs, concurrency, me_tokens, parts))
            rows[f"refreshes|{concurrency}"] = _row(results, wall, cpu, me, concurrency, latency_s)
    finally:
        peak.done.set()
        stop([server])
    return {"rows": rows, "peak_mb": peak.peak}


def _idle_me(url, tokens, seconds=3):
    with MeSampler(url, tokens) as sampler:
        time.sleep(seconds)
    return _p99([s for status, s in sampler.samples if status == 200]) * 1000


def _row(results, wall, cpus, me, concurrency, latency_s):
    row = _summary(results, wall)
    done = max(1, len(results) - row["errors"])
    cpu = cpus["machine"]
    row["cpu_ms"] = cpu / done * 1000
    row["cpu_ms_by_part"] = {name: seconds / done * 1000 for name, seconds in cpus.items() if name != "machine"}
    cores = os.cpu_count() or 1
    row["limit_rps"] = min(concurrency / latency_s, cores / (cpu / done)) if cpu > 0 else concurrency / latency_s
    row["ratio"] = row["rps"] / row["limit_rps"]
    ok = [s for status, s in me if status == 200]
    row["me_p99_ms"] = _p99(ok) * 1000 if ok else None
    row["me_errors"] = sum(1 for status, _ in me if status != 200)
    return row


# --- the run ------------------------------------------------------------------------------------


def run(latency_ms=250, people=400, setups=tuple(SETUPS)):
    """{setup: {"rows": {"callbacks|200": {...}, ...}, "peak_mb": ...}} for the chosen setups."""
    env = app_env("config.settings")  # the real throttles, unlike the other rows' bench.settings
    env.update(TRUSTED_PROXY_COUNT="1", WEB_CONCURRENCY="2")  # each person from an address of their own
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    emulator_port = free_port()
    env["WORKOS_BASE_URL"] = f"http://127.0.0.1:{emulator_port}"
    emulator_proc = subprocess.Popen(
        [sys.executable, "-m", "workos_emulator", "--port", str(emulator_port), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    results = {}
    try:
        wait_until_up("the emulator", f"{env['WORKOS_BASE_URL']}/_emulator/health")
        emulator = Emulator(env["WORKOS_BASE_URL"])
        run_id = f"{int(time.time())}"
        for number, name in enumerate(setups):
            plan = Plan(latency_ms, people, f"{run_id}-{number}")
            results[name] = run_setup(name, SETUPS[name], env, emulator, plan, emulator_proc.pid)
    finally:
        stop([emulator_proc])
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.storm")
    parser.add_argument("--latency-ms", type=int, default=250)
    parser.add_argument("--people", type=int, default=400, help="callbacks of the 200-concurrent storm")
    parser.add_argument("--setup", action="append", choices=list(SETUPS), help="only these setups (repeatable)")
    args = parser.parse_args(argv)
    results = run(args.latency_ms, args.people, tuple(args.setup or SETUPS))
    print(storm_table(results, args.latency_ms))


if __name__ == "__main__":
    main()
