"""The example CLI (examples/cli.py) signs in by device code against the running app and the
emulator, as a separate process, and calls /api/auth/me with its token."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.django_db(transaction=True)

CLI = Path(__file__).resolve().parent.parent / "examples" / "cli.py"


def run_cli(site, wos, approve):
    wos.seed(settings={"device_interval": 1})  # the CLI waits the interval between polls: a second, not WorkOS's five
    process = subprocess.Popen(
        [sys.executable, str(CLI), "--base-url", site, "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert "enter the code" in first, first + process.stderr.read()
        user_code = first.rsplit(" ", 1)[1].strip()
        approve(user_code)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, first + out, err


def test_cli_signs_in_by_device_code_and_calls_the_api(site, wos, settings):
    settings.GATEHOUSE_TOKEN_COOKIES = True  # the device endpoint answers a CLI in the body anyway
    wos.add_user("cli@example.com", password="pw-cli-12345")

    def approve(user_code):
        page = requests.post(
            f"{wos.url}/device",
            data={"user_code": user_code, "email": "cli@example.com", "password": "pw-cli-12345"},
            timeout=5,
        )
        assert page.status_code == 200, page.text

    code, out, err = run_cli(site, wos, approve)
    assert code == 0, err
    assert "Signed in as cli@example.com" in out


def test_cli_reports_a_refused_sign_in(site, wos):
    def deny(user_code):
        requests.post(f"{wos.url}/device", data={"user_code": user_code, "decision": "deny"}, timeout=5)

    code, _out, err = run_cli(site, wos, deny)
    assert code == 1 and "refused" in err
