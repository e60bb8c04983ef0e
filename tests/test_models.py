"""The user model's constraints, and rows a hand-written statement returns."""

from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import Identity, User

ROOT = Path(__file__).resolve().parent.parent


# --- user model --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_email_is_stored_normalized():
    user = User.objects.create_user("  Mixed.Case@Example.COM ", "pw-123456789")
    user.refresh_from_db()
    assert user.email == "mixed.case@example.com"
    assert User.objects.get_by_natural_key("MIXED.case@example.com") == user


@pytest.mark.django_db
def test_email_uniqueness_is_case_insensitive_in_the_database():
    User.objects.create_user("ann@example.com")
    # Bypass the model's normalisation: the database constraint itself must refuse it.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="ANN@example.com", password="!")])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (email, password, first_name, last_name, organization_id, role, "
            "is_active, is_staff, is_superuser, date_joined, updated_at) "
            "VALUES ('Ann@Example.com', '!', '', '', '', '', true, false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )


@pytest.mark.django_db
def test_workos_user_id_unique_but_nullable():
    User.objects.create_user("a@example.com")
    User.objects.create_user("b@example.com")  # two NULL workos ids are fine
    User.objects.create_user("c@example.com", workos_user_id="user_1")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("d@example.com", workos_user_id="user_1")


@pytest.mark.django_db
def test_identity_provider_subject_unique():
    user = User.objects.create_user("a@example.com")
    Identity.objects.create(user=user, provider="google", subject="123")
    Identity.objects.create(user=user, provider="okta", subject="123")
    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(user=user, provider="google", subject="123")


@pytest.mark.django_db
def test_rows_a_statement_returns_read_as_the_orm_reads_them():
    from django.db import connection
    from django.utils import timezone

    from accounts.models import SignInState, User, returned, returning
    from accounts.signin import state as signin_state

    User.objects.create_user(
        "ret@example.com", first_name="Ré", workos_user_id="user_ret", last_login=timezone.now(), is_staff=True
    )
    signin_state.create(
        flow=SignInState.Flow.PENDING,
        next_url="/n",
        step="mfa_challenge",
        attempts=2,
        factors=[{"id": "f", "type": "totp"}, None],
    )
    quote = connection.ops.quote_name
    for model in (User, SignInState):
        pk = quote(model._meta.pk.column)
        sql = f"UPDATE {quote(model._meta.db_table)} SET {pk} = {pk} {returning(model)}"
        (got,) = returned(model, sql, [])
        want = model.objects.get(pk=got.pk)
        for field in model._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name
        assert not got._state.adding and got._state.db == "default"
    assert (
        returned(
            User,
            f"DELETE FROM {quote(User._meta.db_table)} WHERE {quote('email')} = %s {returning(User)}",
            ["nobody@example.com"],
        )
        == []
    )
