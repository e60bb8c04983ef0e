"""The compact JWS encoding our tokens use, done cheaply: base64url, JSON objects, and HS256 with
the signing key prepared once per process.

simplejwt's settings decide the key, the algorithm, the issuer and the audience; this module only
makes signing and reading fast. With an algorithm other than HS256 (or a custom JSON encoder),
`encode` hands over to simplejwt's backend and `hs256_mac` is None.
"""

import binascii
import functools
import hashlib
import hmac

import orjson
from django.core.signals import setting_changed
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.state import token_backend


class Invalid(Exception):
    """Not a well-formed segment (bad base64url or not a JSON object)."""


def b64decode(segment):
    """base64url without padding -> bytes (two str.replace calls are several times cheaper than
    str.translate here). Lenient: use it only on segments a signature vouches for, or where the
    content is not trusted anyway. Raises ValueError on what is not base64 at all."""
    return binascii.a2b_base64(segment.replace("-", "+").replace("_", "/") + "=" * (-len(segment) % 4))


def b64url(data):
    """bytes -> unpadded base64url, the one spelling our tokens carry."""
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").replace(b"+", b"-").replace(b"/", b"_")


def json_object(data):
    """A JSON object (dict) from bytes, or Invalid."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Invalid from None
    if not isinstance(value, dict):
        raise Invalid
    return value


def unverified_payload(token):
    """The claims of a compact JWS, its signature NOT checked: for a token whose channel vouches
    for it (WorkOS's answer to our own authenticated request). {} for anything malformed."""
    try:
        return json_object(b64decode(token.split(".")[1]))
    except (Invalid, ValueError, IndexError, AttributeError):
        return {}


# {"alg":"HS256","typ":"JWT"}: the header PyJWT writes, and the only one our tokens carry
HS256_HEADER = b64url(b'{"alg":"HS256","typ":"JWT"}')


@functools.cache
def hs256_mac():
    """The HMAC of our HS256 signing key, prepared once per process (copy it per token), or None
    when tokens are signed otherwise."""
    if token_backend.algorithm != "HS256":
        return None
    key = token_backend.signing_key
    return hmac.new(key.encode() if isinstance(key, str) else key, digestmod=hashlib.sha256)


def hs256_signature(signing_input, mac):
    """The base64url signature of `signing_input` (bytes: header.payload)."""
    signed = mac.copy()
    signed.update(signing_input)
    return b64url(signed.digest())


def encode(payload):
    """A signed token of ours for `payload` (a dict of JSON values), with the issuer and audience
    simplejwt's backend adds: byte for byte what simplejwt would verify, without its per-call key
    preparation and JSON encoder."""
    mac = hs256_mac()
    if mac is None or simplejwt_settings.api_settings.JSON_ENCODER is not None:
        return token_backend.encode(payload)
    if token_backend.audience is not None:
        payload = {**payload, "aud": token_backend.audience}
    if token_backend.issuer is not None:
        payload = {**payload, "iss": token_backend.issuer}
    signing_input = HS256_HEADER + b"." + b64url(orjson.dumps(payload))
    return (signing_input + b"." + hs256_signature(signing_input, mac)).decode()


def _forget_key(**kwargs):
    hs256_mac.cache_clear()


setting_changed.connect(_forget_key)
