"""The Connect-token authentication in the OpenAPI schema."""

from accounts.api.schema import bearer_scheme

ConnectTokenScheme = bearer_scheme(
    "standalone_connect.authentication.ConnectTokenAuthentication",
    "connectToken",
    "An access token AuthKit issued to a Connect (OAuth) application for one of our users.",
)
