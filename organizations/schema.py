"""The organization API key authentication in the OpenAPI schema."""

from accounts.api.schema import bearer_scheme

APIKeyScheme = bearer_scheme(
    "organizations.authentication.OrganizationAPIKeyAuthentication",
    "organizationApiKey",
    "An organization API key (`sk_...`), made by the organization's admins: the organization's own scripts.",
    bearer_format="API key",
)
