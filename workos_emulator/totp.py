"""TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), as authenticator apps compute it."""

import base64
import hashlib
import hmac
import secrets
import struct


def new_secret():
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def code_at(secret, timestamp, digits=6, step=30):
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(timestamp // step)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def verify(secret, code, timestamp, window=1, step=30):
    """True when `code` is the code of the current step or of `window` steps either side."""
    return any(
        hmac.compare_digest(code_at(secret, timestamp + drift * step), str(code))
        for drift in range(-window, window + 1)
    )
