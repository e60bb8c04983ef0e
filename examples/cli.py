#!/usr/bin/env python3
"""Sign a command-line tool in to Gatehouse with a device code (RFC 8628), then call the API.

    python examples/cli.py --base-url http://127.0.0.1:8000

It asks Gatehouse for a code, shows it with the page where the person confirms it (in any
browser, on any device), polls until they have, and prints who is signed in (`/api/auth/me`).
Only the standard library: copy it into your own tool.
"""

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
import webbrowser


class Failed(Exception):
    pass


_CAMEL_NAMES = {"token": "access_token"}


def _snake(answer):
    """Gatehouse answers in snake_case or, configured so, camelCase (`userCode`, `token`): read both."""
    return {_CAMEL_NAMES.get(k) or re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", k).lower(): v for k, v in answer.items()}


def call(base_url, path, body=None, token=None):
    """POST `body` (or GET when None) as JSON; returns (status, answer)."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base_url.rstrip("/") + path, data=data, headers=headers, method="POST" if body is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _snake(json.load(response))
    except urllib.error.HTTPError as error:
        try:
            return error.code, _snake(json.load(error))
        except ValueError:
            return error.code, {"code": "http_error", "message": f"HTTP {error.code}"}
    except urllib.error.URLError as error:
        raise Failed(f"Could not reach {base_url}: {error.reason}") from None


def sign_in(base_url, *, open_browser=True, out=sys.stdout):
    """The device flow: returns the token pair answer of Gatehouse."""
    status, device = call(base_url, "/api/auth/device", {})
    if status != 200:
        raise Failed(f"Could not start the sign-in: {device.get('message')} ({device.get('code')})")
    print(f"To sign in, open {device['verification_uri']} and enter the code {device['user_code']}", file=out)
    page = device.get("verification_uri_complete") or device["verification_uri"]
    print(f"(or open {page})", file=out, flush=True)
    if open_browser:
        webbrowser.open(page)
    interval, deadline = device["interval"], time.monotonic() + device["expires_in"]
    while time.monotonic() < deadline:
        time.sleep(interval)
        status, answer = call(base_url, "/api/auth/device/token", {"device_code": device["device_code"]})
        if status == 200:
            return answer
        code = answer.get("code")
        if code == "authorization_pending":
            continue
        if code == "slow_down":
            interval = (answer.get("detail") or {}).get("interval", interval + 5)
            continue
        if code == "access_denied":
            raise Failed("The sign-in was refused.")
        if code == "expired_token":
            raise Failed("The code expired before the sign-in was confirmed. Run the command again.")
        raise Failed(f"The sign-in failed: {answer.get('message')} ({code})")
    raise Failed("The code expired before the sign-in was confirmed. Run the command again.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base-url", default="http://127.0.0.1:8000", help="where Gatehouse runs (default: %(default)s)"
    )
    parser.add_argument("--no-browser", action="store_true", help="only print the link; do not open a browser")
    args = parser.parse_args(argv)
    try:
        pair = sign_in(args.base_url, open_browser=not args.no_browser)
        status, me = call(args.base_url, "/api/auth/me", token=pair["access_token"])
    except Failed as failure:
        print(failure, file=sys.stderr)
        return 1
    if status != 200:
        print(f"Signed in, but /api/auth/me answered {status}: {me.get('message')}", file=sys.stderr)
        return 1
    print(
        f"Signed in as {me['email']}"
        + (f" (organization {me['organization_id']})" if me.get("organization_id") else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
