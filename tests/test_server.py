"""The shipped server configuration, run as a deployment runs it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_server_configuration_keeps_connections_alive(tmp_path):
    """gunicorn with gunicorn.conf.py answers two requests over one connection."""
    import http.client
    import time
    from pathlib import Path

    from tests.conftest import free_port

    root = Path(__file__).resolve().parent.parent
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # The port accepts connections as soon as gunicorn's master binds it; its worker answers
        # once it has imported Django, which takes longer on a busy machine: wait for an answer.
        deadline = time.monotonic() + 90
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    probe.close()
                    break
            except OSError:
                pass
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not answer within 90 s"
            time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        answers = []
        for _ in range(3):
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            # the client's own address: a connection the server closed would be reopened from a new port
            answers.append((response.status, conn.sock.getsockname() if conn.sock else None))
        assert [status for status, _ in answers] == [200, 200, 200]
        assert answers[0][1] is not None and len({address for _, address in answers}) == 1, answers
    finally:
        server.terminate()
        server.wait(10)
