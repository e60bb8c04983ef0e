"""The hot path's rendering: /api/auth/me and the flat serializers."""

from pathlib import Path

import pytest

from accounts.models import User

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_the_me_fast_path_renders_what_the_documented_serializer_renders(api):
    from accounts.api.serializers import UserSerializer
    from accounts.api.views import me_body
    from accounts.signin import flow
    from accounts.tokens import TokenUser
    from accounts.tokens import verify_access as decode_access_token

    user = User.objects.create_user("fast@example.com", first_name="Ada", last_name="Byron")
    for org, role in (("", ""), ("org_1", "admin")):
        pair = flow.start_token_session(user, method="password", organization_id=org, role=role)
        token_user = TokenUser(decode_access_token(pair.access))
        answered = api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair.access}").json()
        assert answered == me_body(token_user) == UserSerializer().to_representation(token_user)
        assert (answered["organization_id"], answered["role"]) == (org or None, role or None)


def test_flat_serializers_bind_their_own_copies_and_refuse_nested_fields():
    from rest_framework import serializers

    from accounts.api.serializers import CallbackSerializer, FlatSerializer

    first, second = CallbackSerializer(data={"code": "a" * 2001}), CallbackSerializer(data={"code": "b"})
    assert not first.is_valid() and "code" in first.errors
    assert second.is_valid() and second.validated_data == {"code": "b"}
    assert first.fields["code"] is not second.fields["code"] and first.fields["code"].parent is first
    assert CallbackSerializer._declared_fields["code"].parent is None  # the declared field stays unbound
    with pytest.raises(TypeError, match="tags"):
        type("Nested", (FlatSerializer,), {"tags": serializers.ListField(child=serializers.CharField())})
