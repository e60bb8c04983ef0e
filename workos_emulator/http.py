"""Answers and small helpers every area of the emulator uses."""

import base64
import hashlib
import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Response

CODE_TTL = 600
ACCESS_TTL = 300
SSO_TOKEN_TTL = 600
SESSION_TTL = 7 * 24 * 3600
RESERVED_CLAIMS = {"sub", "iss", "aud", "exp", "iat", "nbf", "jti", "sid", "org_id", "email", "scope", "client_id"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Reply(Exception):
    """Raised by handlers to answer at once (errors mostly)."""

    def __init__(self, response):
        self.response = response


def as_json(data, status=200, headers=None):
    return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")


def fail(status, **body):
    raise Reply(as_json(body, status))


def oauth_fail(error, description, status=400):
    fail(status, error=error, error_description=description)


def s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def with_query(url, **params):
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def redirect_to(location):
    return Response(status=302, headers={"Location": location})


def is_loopback(url):
    return urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}
