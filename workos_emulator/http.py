"""Answers and small helpers every area of the emulator uses."""

import base64
import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
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
    # orjson: a page of 100 objects is encoded several times faster than by json.dumps
    return Response(orjson.dumps(data), status=status, headers=headers, content_type="application/json")


def fail(status, **body):
    """Answer `status` with `body` at once. A 422 `invalid_request_parameters` also lists its
    error under `errors` ({code, field, message}), the shape WorkOS's validation errors share."""
    if status == 422 and body.get("code") == "invalid_request_parameters":
        field = body.pop("field", "body")
        body.setdefault("errors", [{"code": "invalid", "field": field, "message": body["message"]}])
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


def _of_type(value, types):
    if value is None:
        return None in types
    if isinstance(value, bool):  # a bool is an int to isinstance(), never to JSON
        return bool in types
    return isinstance(value, tuple(t for t in types if t not in (None, bool)))


def check_types(data, rules):
    """422 naming the first field of `data` whose value is not one of its rule's types
    (a type, or a tuple of them; None allows null)."""
    for field, types in rules.items():
        if field in data and not _of_type(data[field], types if isinstance(types, tuple) else (types,)):
            fail(422, code="invalid_request_parameters", message=f"{field} has the wrong type.", field=field)
    metadata = data.get("metadata")
    # WorkOS's limits: at most 50 keys of at most 40 characters, string values of at most 600
    if (
        "metadata" in rules
        and isinstance(metadata, dict)
        and (
            not all(isinstance(v, str) and len(v) <= 600 and len(k) <= 40 for k, v in metadata.items())
            or len(metadata) > 50
        )
    ):
        fail(
            422,
            code="invalid_request_parameters",
            message="metadata must hold at most 50 strings of up to 600 characters, under keys of up to 40.",
            field="metadata",
        )
    return data


# string fields of token-endpoint bodies (authenticate, /sso/token, /oauth2/token)
TOKEN_STRING_FIELDS = (
    "client_id",
    "client_secret",
    "grant_type",
    "code",
    "code_verifier",
    "redirect_uri",
    "email",
    "password",
    "refresh_token",
    "organization_id",
    "pending_authentication_token",
    "authentication_challenge_id",
    "link_authorization_code",
    "ip_address",
    "user_agent",
    "device_code",
    "invitation_token",
)
