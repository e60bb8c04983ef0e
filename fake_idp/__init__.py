"""A minimal OpenID provider, for the tests and the benchmarks: the ID-token attacks oidc-provider-mock cannot produce.

Its token endpoint returns whatever ID token the test prepared: signed with a key it does not
publish, expired, for another audience or issuer, `alg: none`, HS256 keyed with the public key...
It also counts JWKS fetches.
"""

import json
import threading
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class FakeOIDC:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwks_fetches = 0
        self.next_id_token = None
        self.token_status = 200
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        self._server.shutdown()

    def claims(self, **overrides):
        now = int(time.time())
        base = {
            "iss": self.url,
            "aud": "fake-client",
            "sub": "fake-sub-1",
            "iat": now,
            "exp": now + 300,
            "email": "fake@example.com",
            "email_verified": True,
        }
        base.update(overrides)
        return {k: v for k, v in base.items() if v is not None}

    def sign(self, claims, *, key=None, kid="k1", algorithm="RS256"):
        """`kid=None` leaves the header without a kid (a provider that publishes one key)."""
        return jwt.encode(claims, key or self.key, algorithm=algorithm, headers={"kid": kid} if kid else None)

    def rotate(self):
        """Publish a new signing key in place of the current one."""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/.well-known/openid-configuration":
            body = {
                "issuer": self.url,
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "authorization_endpoint": f"{self.url}/authorize",
            }
        elif request.path == "/jwks":
            self.jwks_fetches += 1
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            body = {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}
        elif request.path == "/token":
            if self.token_status != 200:
                return Response(
                    json.dumps({"error": "server_error"}), status=self.token_status, content_type="application/json"
                )(environ, start_response)
            body = {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": self.next_id_token}
        else:
            return Response("not found", status=404)(environ, start_response)
        return Response(json.dumps(body), content_type="application/json")(environ, start_response)
