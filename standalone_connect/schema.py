"""The Connect-token authentication in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ConnectTokenScheme(OpenApiAuthenticationExtension):
    target_class = "standalone_connect.authentication.ConnectTokenAuthentication"
    name = "connectToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token AuthKit issued to a Connect (OAuth) application for one of our users.",
        }
