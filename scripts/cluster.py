"""A local cluster as a deployment runs it, and a fault run against it (loopback only).

    python scripts/cluster.py start     # nginx -> 3 gunicorn instances -> PostgreSQL, Redis, WorkOS (emulator)
    python scripts/cluster.py stop
    python scripts/cluster.py chaos     # start, drive a mixed workload, inject faults one at a time, report, stop

The instances run the shipped server configuration (gunicorn.conf.py) with DEBUG off. They reach
PostgreSQL through a small TCP relay of this script (so that "the database restarts" can be
played without touching the machine's own server) and a Redis of their own; the WorkOS
emulator's latency and fault controls play WorkOS's outages. Everything lives in `.cluster/`.
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / ".cluster"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PORTS = {"nginx": 8190, "emulator": 4191, "redis": 6391, "relay": 5491}
INSTANCES = [8191, 8192, 8193]
POSTGRES = os.environ.get("CLUSTER_POSTGRES", "127.0.0.1:5432")
DATABASE = "gatehouse_cluster"
BASE = f"http://127.0.0.1:{PORTS['nginx']}"
EMULATOR = f"http://127.0.0.1:{PORTS['emulator']}"
WEBHOOK_SECRET = "cluster-webhook-secret"

NGINX_CONF = """
worker_processes 1;
pid {here}/nginx.pid;
error_log {here}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {here}/nginx-body;
  proxy_temp_path {here}/nginx-proxy;
  fastcgi_temp_path {here}/nginx-fastcgi;
  uwsgi_temp_path {here}/nginx-uwsgi;
  scgi_temp_path {here}/nginx-scgi;
  upstream gatehouse {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://gatehouse;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # an instance that dies is skipped (idempotent requests are retried on the next one)
      proxy_next_upstream error timeout http_502;
      proxy_connect_timeout 2s;
      proxy_read_timeout 40s;
    }}
  }}
}}
"""


# --- processes ---------------------------------------------------------------------------------


def _spawn(name, argv, env=None):
    log = open(HERE / f"{name}.log", "ab")  # noqa: SIM115 -- the child keeps it
    proc = subprocess.Popen(
        argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=log, start_new_session=True
    )
    (HERE / f"{name}.pid").write_text(str(proc.pid))
    return proc


def _kill(name, sig=signal.SIGTERM):
    pid_file = HERE / f"{name}.pid"
    if not pid_file.exists():
        return
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.killpg(int(pid_file.read_text()), sig)
    pid_file.unlink(missing_ok=True)


def _wait_for(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s: see .cluster/*.log")


def _app_env():
    return {
        "DEBUG": "false",
        "SECRET_KEY": (HERE / "secret").read_text(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PORTS['relay']}/{DATABASE}",
        "REDIS_URL": f"redis://127.0.0.1:{PORTS['redis']}/0",
        "WORKOS_API_KEY": "sk_test_emulator",
        "WORKOS_CLIENT_ID": "client_emulator",
        "WORKOS_BASE_URL": EMULATOR,
        "WORKOS_REDIRECT_URI": f"{BASE}/auth/callback",
        "WORKOS_ALLOWED_REDIRECT_URIS": f"{BASE}/examples/spa/callback",
        "WORKOS_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WORKOS_REQUEST_TIMEOUT": "5",
        "TRUSTED_PROXY_COUNT": "1",
        "THROTTLE_SIGN_IN_IP": "100000/m",
        "THROTTLE_AUTHORIZE_IP": "100000/m",
        "THROTTLE_PASSWORD_IP": "100000/m",
        "THROTTLE_PASSWORD_ACCOUNT": "100000/m",
        "WEB_CONCURRENCY": "2",
        "METRICS_TOKEN": "cluster-metrics",
        "GUNICORN_ACCESSLOG": "",
    }


def start_instance(port):
    return _spawn(
        f"app-{port}",
        [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
        {**_app_env(), "BIND": f"127.0.0.1:{port}"},
    )


def start_redis():
    return _spawn("redis", ["redis-server", "--port", str(PORTS["redis"]), "--save", "", "--appendonly", "no"])


def _nginx():
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if Path(found).exists():
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("==> installing nginx (Debian's package)")
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=True, stdout=subprocess.DEVNULL)
        return "/usr/sbin/nginx"
    raise SystemExit("The cluster needs nginx: sudo apt-get install nginx-light")


def start():
    HERE.mkdir(exist_ok=True)
    stop(quiet=True)
    if not (HERE / "secret").exists():
        (HERE / "secret").write_text(secrets.token_urlsafe(50))
    nginx = _nginx()
    subprocess.run(
        [
            "psql",
            "-h",
            POSTGRES.split(":")[0],
            "-p",
            POSTGRES.split(":")[1],
            "-U",
            "postgres",
            "-q",
            "-c",
            f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)",
            "-c",
            f"CREATE DATABASE {DATABASE}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _spawn("relay", [PYTHON, __file__, "relay"])
    start_redis()
    _spawn(
        "emulator",
        [
            PYTHON,
            "-m",
            "workos_emulator",
            "--port",
            str(PORTS["emulator"]),
            "--seed",
            "workos_emulator/demo.yaml",
            "--app-url",
            BASE,
            "--webhook",
            f"{BASE}/webhooks/workos",
            "--webhook-secret",
            WEBHOOK_SECRET,
            "--quiet",
        ],
    )
    _wait_for(f"{EMULATOR}/_emulator/health")
    time.sleep(0.5)
    env = {**os.environ, **_app_env()}
    subprocess.run([PYTHON, "manage.py", "migrate", "--skip-checks", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    for port in INSTANCES:
        start_instance(port)
    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in INSTANCES)
    (HERE / "nginx.conf").write_text(NGINX_CONF.format(here=HERE, servers=servers, port=PORTS["nginx"]))
    _spawn("nginx", [nginx, "-c", str(HERE / "nginx.conf"), "-p", str(HERE), "-g", "daemon off;"])
    for port in INSTANCES:
        _wait_for(f"http://127.0.0.1:{port}/healthz", seconds=60)
    _wait_for(f"{BASE}/healthz")
    print(f"Cluster: {BASE} (nginx) -> instances {', '.join(map(str, INSTANCES))}; WorkOS emulator {EMULATOR};")
    print(
        f"PostgreSQL {POSTGRES} through the relay :{PORTS['relay']}; Redis :{PORTS['redis']}. Stop: "
        "python scripts/cluster.py stop"
    )


def stop(quiet=False):
    for name in ["nginx", *(f"app-{port}" for port in INSTANCES), "emulator", "redis", "relay"]:
        _kill(name)
    if not quiet:
        print("Cluster stopped.")


# --- the database relay: "PostgreSQL restarts" without touching the machine's server -----------


def relay():
    """Forward :relay to PostgreSQL. While .cluster/relay.down exists, every connection is cut and
    new ones are refused, as while a database restarts."""
    host, port = POSTGRES.split(":")
    listener = socket.create_server(("127.0.0.1", PORTS["relay"]), reuse_port=False)
    listener.settimeout(0.2)
    down = HERE / "relay.down"
    pairs = []
    lock = threading.Lock()

    def pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.close()

    while True:
        if down.exists():
            with lock:
                for a, b in pairs:
                    for s in (a, b):
                        with contextlib.suppress(OSError):
                            s.shutdown(socket.SHUT_RDWR)
                pairs.clear()
        try:
            client, _ = listener.accept()
        except TimeoutError:
            continue
        if down.exists():
            client.close()
            continue
        try:
            server = socket.create_connection((host, int(port)), timeout=2)
        except OSError:
            client.close()
            continue
        server.settimeout(None)
        with lock:
            pairs.append((client, server))
        threading.Thread(target=pump, args=(client, server), daemon=True).start()
        threading.Thread(target=pump, args=(server, client), daemon=True).start()


# --- the fault run -----------------------------------------------------------------------------


def call(method, path, body=None, token=None, timeout=20):
    """(status, code) of one request through nginx; status 0 is a dropped connection."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read() or b"{}")
        except ValueError:
            answer = {}
        return error.code, answer if isinstance(answer, dict) else {}
    except (urllib.error.URLError, OSError):
        return 0, {}


def control(path, body=None, method="POST"):
    request = urllib.request.Request(
        EMULATOR + path,
        data=json.dumps(body or {}).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []  # (time, kind, status, code)
        self.signed_out = []  # (time, person, code): a refresh refused while the person did nothing wrong

    def add(self, kind, status, answer):
        with self.lock:
            self.rows.append((time.monotonic(), kind, status, (answer or {}).get("code", "")))


class Person(threading.Thread):
    """Signs in through WorkOS (a code, as the hosted page gives) or, one person in five, with a
    password Gatehouse holds; then reads /api/auth/me, refreshes every few seconds, and now and
    then signs out and in again."""

    def __init__(self, index, recorder, stopping):
        super().__init__(daemon=True)
        self.index, self.recorder, self.stopping = index, recorder, stopping
        self.email = f"load{index}@example.com"
        self.pair = None

    def sign_in(self):
        if self.index % 5 == 0:  # a password Gatehouse holds
            status, answer = call("POST", "/api/auth/login", {"email": self.email, "password": "pw-load-12345"})
            self.recorder.add("sign_in", status, answer)
            if status == 200:
                self.pair = answer
            return
        try:
            code = control("/_emulator/codes", {"email": self.email, "redirect_uri": f"{BASE}/auth/callback"})["code"]
        except (urllib.error.URLError, OSError, KeyError):
            return
        status, answer = call("POST", "/api/auth/workos/callback", {"code": code})
        self.recorder.add("sign_in", status, answer)
        if status == 200:
            self.pair = answer

    def run(self):
        rounds = 0
        while not self.stopping.is_set():
            if self.pair is None:
                self.sign_in()
                time.sleep(0.5)
                continue
            rounds += 1
            status, answer = call("GET", "/api/auth/me", token=self.pair["access_token"])
            self.recorder.add("me", status, answer)
            if rounds % 3 == 0:
                status, answer = call("POST", "/api/token/refresh/", {"refresh": self.pair["refresh_token"]})
                self.recorder.add("refresh", status, answer)
                if status == 200:
                    self.pair = {**self.pair, "access_token": answer["access"], "refresh_token": answer["refresh"]}
                elif status == 401:  # the person did nothing wrong: being signed out is a failure
                    with self.recorder.lock:
                        self.recorder.signed_out.append((time.monotonic(), self.email, answer.get("code")))
                    self.pair = None
            if rounds % 40 == 0:
                status, answer = call("POST", "/api/auth/logout/", {}, token=self.pair["access_token"])
                self.recorder.add("logout", status, answer)
                self.pair = None
            time.sleep(0.4)


def lost_refresh_answers(people, recorder):
    """Each person's refresh answer is lost after the server committed it: the retry must work."""
    kept = 0
    for person in people:
        pair = person.pair
        if not pair:
            continue
        first, _ = call("POST", "/api/token/refresh/", {"refresh": pair["refresh_token"]})
        retry, answer = call("POST", "/api/token/refresh/", {"refresh": pair["refresh_token"]})
        recorder.add("refresh", retry, answer)
        if first == 200 and retry == 200:
            kept += 1
            person.pair = {**pair, "access_token": answer["access"], "refresh_token": answer["refresh"]}
        elif retry == 401:
            with recorder.lock:
                recorder.signed_out.append((time.monotonic(), person.email, answer.get("code")))
    return kept


CALM = 12  # seconds between faults: recovery is measured in them
CHANGED = []  # organizations made in WorkOS during the faults: the mirror must end up with each


def workos_change(name):
    """A change in WorkOS during the fault (its webhook may fail): an organization is created."""
    body = json.dumps({"name": f"Chaos: {name}"}).encode()
    request = urllib.request.Request(
        f"{EMULATOR}/organizations",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk_test_emulator"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            CHANGED.append(json.loads(response.read())["id"])
    except (urllib.error.URLError, OSError) as exc:
        print(f"(could not create an organization in WorkOS: {exc})")


def manage(*args):
    env = {**os.environ, **_app_env()}
    if args[0] == "shell":
        args = ("shell", "--no-imports", *args[1:])
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    return (done.stdout.strip().splitlines() or [""])[-1]


def afterwards(recorder):
    """The mirror and the audit once the faults are over (the Events API fills what webhooks missed)."""
    manage("catch_up_events")
    ids = ",".join(repr(i) for i in CHANGED)
    mirrored = manage(
        "shell",
        "-c",
        f"from sso.models import Organization; print(Organization.objects.filter(workos_id__in=[{ids}]).count())",
    )
    audited = manage(
        "shell",
        "-c",
        "from accounts.models import AuditEvent; print(AuditEvent.objects.filter(kind='sign_in_succeeded').count())",
    )
    signed_in = sum(1 for r in recorder.rows if r[1] == "sign_in" and r[2] == 200)
    print(f"Mirror: {mirrored} of the {len(CHANGED)} organizations made in WorkOS during the faults.")
    print(f"Audit: {audited} sign-ins recorded for {signed_in} sign-ins answered 200.")
    return mirrored == str(len(CHANGED)) and audited == str(signed_in)


def faults(people, recorder):
    """(name, start, end) of each fault, injected one at a time with a calm spell between."""
    done = []

    def window(name, begin, end_action, hold):
        start = time.monotonic()
        begin()
        workos_change(name)
        time.sleep(hold)
        end_action()
        done.append((name, start, time.monotonic()))
        time.sleep(CALM)

    victim = INSTANCES[0]
    window(
        "instance killed (SIGKILL) and restarted",
        lambda: _kill(f"app-{victim}", signal.SIGKILL),
        lambda: start_instance(victim),
        5,
    )
    window("Redis stopped 20 s", lambda: _kill("redis", signal.SIGKILL), start_redis, 20)
    window(
        "PostgreSQL restarted (5 s)", lambda: (HERE / "relay.down").touch(), lambda: (HERE / "relay.down").unlink(), 5
    )
    window(
        "WorkOS hangs 15 s",
        lambda: control("/_emulator/latency", {"path": "*", "ms": 30000}),
        lambda: control("/_emulator/latency", method="DELETE"),
        15,
    )
    window(
        "WorkOS answers 500 for 10 s",
        lambda: control("/_emulator/errors", {"path": "/user_management/*", "status": 500, "times": 100000}),
        lambda: control("/_emulator/errors", method="DELETE"),
        10,
    )
    start = time.monotonic()
    kept = lost_refresh_answers(people, recorder)
    done.append((f"a refresh answer lost ({kept} retries kept their sign-in)", start, time.monotonic()))
    time.sleep(3)
    return done


def report(recorder, windows):
    rows = recorder.rows
    print()
    columns = ["fault", "requests", "graceful refusals (503/502 with a code)", "raw 5xx or dropped"]
    columns += ["signed out wrongly", "recovery (s)"]
    print("| " + " | ".join(columns) + " |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, start, end in windows:
        during = [r for r in rows if start <= r[0] <= end + CALM]
        graceful = sum(1 for r in during if r[2] in (502, 503) and r[3])
        raw = sum(1 for r in during if r[2] == 0 or (r[2] >= 500 and not r[3]))
        wrong = sum(1 for t, *_ in recorder.signed_out if start <= t <= end + CALM)
        # the last failure (graceful or not) in the calm spell after the fault ended
        failing = [r[0] for r in rows if end < r[0] <= end + CALM and (r[2] == 0 or r[2] >= 500)]
        recovery = max(failing) - end if failing else 0.0
        print(f"| {name} | {len(during)} | {graceful} | {raw} | {wrong} | {max(recovery, 0):.1f} |")
    total_raw = sum(1 for r in rows if r[2] == 0 or (r[2] >= 500 and not r[3]))
    print(
        f"\n{len(rows)} requests in all; {total_raw} raw 5xx or dropped; "
        f"{len(recorder.signed_out)} people signed out wrongly."
    )
    return total_raw, len(recorder.signed_out)


def chaos(people_count):
    """The fault run; exits non-zero when a raw 5xx, a dropped request or a wrong sign-out happened."""
    start()
    try:
        recorder, stopping = Recorder(), threading.Event()
        for i in range(people_count):
            control("/_emulator/seed", {"users": [{"email": f"load{i}@example.com", "password": "pw-load-12345"}]})
        emails = [f"load{i}@example.com" for i in range(0, people_count, 5)]
        manage(
            "shell",
            "-c",
            f"from accounts.models import User\nfor e in {emails!r}: User.objects.create_user(e, 'pw-load-12345')",
        )
        people = [Person(i, recorder, stopping) for i in range(people_count)]
        for person in people:
            person.start()
        time.sleep(8)
        windows = faults(people, recorder)
        stopping.set()
        for person in people:
            person.join(30)
        raw, wrong = report(recorder, windows)
        complete = afterwards(recorder)
    finally:
        stop()
    return 1 if raw or wrong or not complete else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "chaos", "relay"])
    parser.add_argument("--people", type=int, default=30)
    args = parser.parse_args()
    if args.command == "start":
        start()
    elif args.command == "stop":
        stop()
    elif args.command == "relay":
        relay()
    else:
        return chaos(args.people)
    return 0


if __name__ == "__main__":
    sys.exit(main())
