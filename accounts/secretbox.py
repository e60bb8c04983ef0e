"""Encrypt small secrets at rest (WorkOS refresh tokens) with a key derived from SECRET_KEY."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet():
    digest = hashlib.sha256(b"gatehouse.secretbox:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(plaintext):
    return _fernet().encrypt(plaintext.encode()).decode() if plaintext else ""


def unseal(ciphertext):
    if not ciphertext:
        return ""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        return ""  # SECRET_KEY rotated: the WorkOS session can no longer be refreshed from here
