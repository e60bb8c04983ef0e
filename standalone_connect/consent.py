"""What we tell AuthKit about a user at Standalone Connect completion.

Both hooks are dotted paths in settings (CONNECT_CONSENT_OPTIONS, CONNECT_USER_METADATA) so a
project can replace them; these defaults are a reasonable starting point.
"""


def default_consent_options(user):
    """`user_consent_options` for AuthKit's consent screen, or None for no choice.

    Default: when the user belongs to a WorkOS organization, offer it as the one choice for the
    `urn:gatehouse:organization` claim. Return grouped choices
    (`{"group": ..., "choices": [...]}`) to show them under headings.
    """
    if not user.organization_id:
        return None
    return [
        {
            "claim": "urn:gatehouse:organization",
            "type": "enum",
            "label": "Organization",
            "choices": [{"value": user.organization_id, "label": user.organization_id}],
        }
    ]


def default_user_metadata(user):
    """String key/value pairs stored on the AuthKit user (at most 10; never secrets)."""
    return {"gatehouse_user_id": str(user.pk)}
