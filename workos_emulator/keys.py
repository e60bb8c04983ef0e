"""The emulator's RSA signing key, published as a JWKS with the certificate fields WorkOS sends."""

import base64
import datetime as dt
import hashlib

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def _b64url_uint(value):
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SigningKey:
    def __init__(self, kid, pem=None):
        """A new key, or the one in `pem` (a PKCS#8 private key, as `pem()` gives)."""
        self.kid = kid
        if pem is None:
            self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self.private_key = serialization.load_pem_private_key(pem.encode(), password=None)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "WorkOS emulator")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .sign(self.private_key, hashes.SHA256())
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        numbers = self.private_key.public_key().public_numbers()
        self.jwk = {
            "alg": "RS256",
            "kty": "RSA",
            "use": "sig",
            "kid": kid,
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
            "x5c": [base64.b64encode(der).decode()],
            "x5t#S256": base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode(),
        }

    def pem(self):
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def sign(self, claims):
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})
