"""Organization API keys live in WorkOS (the secret is never stored here): the admin reaches them
through each mirrored organization."""

from sso.models import Organization


class OrganizationAPIKeys(Organization):
    """An organization, as the admin's page of its API keys sees it."""

    class Meta:
        proxy = True
        verbose_name = "organization API keys"
        verbose_name_plural = "organization API keys"
