"""How the API appears in the OpenAPI schema: the authentication schemes (and so /api/docs/'s
Authorize button), and descriptions written for integrators only."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class IntegratorSchema(AutoSchema):
    """Operations are described only by what `extend_schema(description=...)` says: the views'
    docstrings are notes for the people who maintain them, not for the API's users."""

    def get_description(self):
        return ""


def bearer_scheme(target_class, name, description, bearer_format="JWT"):
    """Register a bearer security scheme for a DRF authentication class (by dotted path)."""

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": bearer_format, "description": description}

    attrs = {"target_class": target_class, "name": name, "get_security_definition": get_security_definition}
    return type(f"{name[0].upper()}{name[1:]}Scheme", (OpenApiAuthenticationExtension,), attrs)


AccessTokenScheme = bearer_scheme(
    "accounts.authentication.AccessTokenAuthentication",
    "accessToken",
    "A Gatehouse access token (`access_token` or `access` from a sign-in or refresh). In cookie mode "
    "the HttpOnly access cookie is used instead, with the CSRF header on unsafe methods.",
)
