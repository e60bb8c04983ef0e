"""How the API's authentication appears in the OpenAPI schema (and so in /api/docs/'s Authorize)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Gatehouse access token (`access_token` or `access` from a sign-in or refresh). "
            "In cookie mode the HttpOnly access cookie is used instead, with the CSRF header on unsafe methods.",
        }
