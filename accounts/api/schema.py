"""How the API's authentication appears in the OpenAPI schema (and so in /api/docs/'s Authorize)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def bearer_scheme(target_class, name, description):
    """Register a JWT bearer security scheme for a DRF authentication class (by dotted path)."""

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": description}

    attrs = {"target_class": target_class, "name": name, "get_security_definition": get_security_definition}
    return type(f"{name[0].upper()}{name[1:]}Scheme", (OpenApiAuthenticationExtension,), attrs)


AccessTokenScheme = bearer_scheme(
    "accounts.authentication.AccessTokenAuthentication",
    "accessToken",
    "A Gatehouse access token (`access_token` or `access` from a sign-in or refresh). In cookie mode "
    "the HttpOnly access cookie is used instead, with the CSRF header on unsafe methods.",
)
