"""The Django admin revokes API tokens (audited, through token_revoke); it never deletes them."""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import ApiToken, AuditEvent
from accounts.services import token_create, token_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/apitoken/"


def revoke_url(token):
    return f"{CHANGELIST}{token.pk}/revoke/"


def revocations():
    return list(
        AuditEvent.objects.filter(action="token.revoke")
        .order_by("pk")
        .values_list("actor__username", "object_id")
    )


@pytest.fixture
def tokens(owner, outsider):
    return [token_create(by=user, name=f"ci-{user.username}")[0] for user in (owner, outsider)]


@pytest.fixture
def staff_member(db):
    """Staff (may log in to the admin) with no permission on API tokens."""
    return UserFactory(username="staffer", roles=["contributor"], is_staff=True)


@pytest.fixture
def token_viewer(db):
    """Staff allowed to look at API tokens, but no admin role in Pilotgate."""
    user = UserFactory(username="tokenviewer", roles=["contributor"], is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    return user


def test_admin_revokes_one_token_after_confirming_with_an_audit_event(
    client_for, admin_user, tokens
):
    admin = client_for(admin_user)
    token = tokens[0]
    page = admin.get(f"{CHANGELIST}{token.pk}/change/")
    assert page.status_code == 200 and revoke_url(token) in page.content.decode()

    confirm = admin.get(revoke_url(token))
    assert confirm.status_code == 200 and "Yes, revoke it" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # asking is not doing

    done = admin.post(revoke_url(token))
    assert done.status_code == 302 and done["Location"].endswith(f"/{token.pk}/change/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert revocations() == [("theadmin", str(token.pk))]
    assert ApiToken.objects.filter(pk=tokens[1].pk, revoked_at__isnull=True).exists()

    # Revoked once: the link is gone and a second POST writes nothing.
    assert revoke_url(token) not in admin.get(f"{CHANGELIST}{token.pk}/change/").content.decode()
    admin.post(revoke_url(token))
    assert len(revocations()) == 1


def test_admin_revokes_selected_tokens_with_one_audit_event_each(
    client_for, admin_user, owner, tokens
):
    already = token_revoke(token=token_create(by=owner, name="old")[0], by=owner)
    already_revoked_at = already.revoked_at
    before = len(revocations())

    response = client_for(admin_user).post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [t.pk for t in [*tokens, already]]},
    )

    assert response.status_code == 302
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    assert sorted(revocations()[before:]) == sorted(("theadmin", str(t.pk)) for t in tokens)
    already.refresh_from_db()
    assert already.revoked_at == already_revoked_at  # not revoked again


def test_admin_cannot_delete_a_token_alone_or_in_bulk(client_for, admin_user, tokens):
    admin = client_for(admin_user)
    token = tokens[0]
    assert admin.get(f"{CHANGELIST}{token.pk}/delete/").status_code == 403
    assert admin.post(f"{CHANGELIST}{token.pk}/delete/", {"post": "yes"}).status_code == 403

    listing = admin.get(CHANGELIST).content.decode()
    assert 'value="revoke_selected"' in listing and "delete_selected" not in listing
    admin.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [t.pk for t in tokens], "post": "yes"},
    )

    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == len(tokens)
    assert revocations() == []


def test_staff_without_token_permission_can_neither_see_nor_revoke(
    client_for, staff_member, tokens
):
    staff = client_for(staff_member)
    assert staff.get(CHANGELIST).status_code == 403
    assert staff.get(revoke_url(tokens[0])).status_code == 403
    assert staff.post(revoke_url(tokens[0])).status_code == 403
    bulk = staff.post(
        CHANGELIST, {"action": "revoke_selected", "_selected_action": [t.pk for t in tokens]}
    )
    assert bulk.status_code == 403
    assert staff.post(f"{CHANGELIST}{tokens[0].pk}/delete/", {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == len(tokens)
    assert revocations() == []


def test_staff_who_may_view_tokens_but_is_no_admin_cannot_revoke(client_for, token_viewer, tokens):
    viewer = client_for(token_viewer)
    listing = viewer.get(CHANGELIST)
    assert listing.status_code == 200 and "revoke_selected" not in listing.content.decode()
    page = viewer.get(f"{CHANGELIST}{tokens[0].pk}/change/")
    assert page.status_code == 200 and revoke_url(tokens[0]) not in page.content.decode()
    assert viewer.post(revoke_url(tokens[0])).status_code == 403
    viewer.post(CHANGELIST, {"action": "revoke_selected", "_selected_action": [tokens[0].pk]})
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == len(tokens)
    assert revocations() == []


def test_token_admin_pages_run_as_many_queries_for_two_tokens_as_for_twenty(
    client_for, admin_user, owner
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = client_for(admin_user)

    def counts():
        token = ApiToken.objects.order_by("pk").first()
        out = []
        for url in (CHANGELIST, revoke_url(token)):
            with CaptureQueriesContext(connection) as ctx:
                assert admin.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    for i in range(2):
        token_create(by=owner, name=f"few-{i}")
    few = counts()
    for i in range(18):
        token_create(by=owner, name=f"many-{i}")
    assert counts() == few
