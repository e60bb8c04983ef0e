"""WorkOS's `api_key.revoked` event: a key revoked elsewhere (WorkOS's dashboard, another
instance) stops working here at once, not only when its cached validation runs out."""

from rest_framework import serializers

from organizations import api_keys
from workos_integration.events import register


class _Key(serializers.Serializer):
    id = serializers.RegexField(r"^[A-Za-z0-9_]{1,64}$")


def _revoked(data):
    api_keys.forget(data["id"])
    return "applied"


register("api_key.revoked", _Key, _revoked)
