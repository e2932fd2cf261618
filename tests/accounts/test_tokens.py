import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuditEvent
from accounts.services import token_create, token_revoke

pytestmark = pytest.mark.django_db


def bearer(secret: str, keyword: str = "Bearer") -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    return api


def test_token_is_stored_hashed_and_shown_once(owner):
    token, secret = token_create(by=owner, name="exporter")
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (stored.digest, stored.prefix, stored.name)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert AuditEvent.objects.filter(action="token.create", object_id=str(token.pk)).exists()


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_bearer_and_token_headers_authenticate(owner, pilot, keyword):
    _, secret = token_create(by=owner, name="ci")
    response = bearer(secret, keyword).get("/api/pilots/")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_last_used_time_is_recorded(owner):
    token, secret = token_create(by=owner, name="ci")
    assert token.last_used_at is None
    bearer(secret).get("/api/pilots/")
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=30)


@pytest.mark.parametrize(
    "header",
    ["Bearer pgt_nope_nope", "Bearer garbage", "Bearer a b", "Token pgt_000000000000_x"],
)
def test_invalid_tokens_get_401_with_json_message(db, header):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/pilots/")
    assert response.status_code == 401
    assert response.json()["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(owner):
    token, secret = token_create(by=owner, name="ci")
    token_revoke(token=token, by=owner)
    response = bearer(secret).get("/api/pilots/")
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1


def test_revoking_from_a_stale_copy_writes_no_second_event(owner):
    token, _ = token_create(by=owner, name="ci")
    stale = ApiToken.objects.get(pk=token.pk)
    first = token_revoke(token=token, by=owner)
    again = token_revoke(token=stale, by=owner)
    assert again.revoked_at == first.revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1


def test_token_of_inactive_user_is_refused(owner):
    _, secret = token_create(by=owner, name="ci")
    owner.is_active = False
    owner.save()
    assert bearer(secret).get("/api/pilots/").status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(owner, outsider, client_for):
    token, secret = token_create(by=owner, name="ci")
    response = client_for(outsider).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        token_revoke(token=token, by=outsider)


def test_token_page_creates_shows_secret_once_and_revokes(owner, client_for):
    client = client_for(owner)
    response = client.post(reverse("accounts:tokens"), {"name": "Grafana"})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret.startswith("pgt_")
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    again = client.get(reverse("accounts:tokens"))
    assert secret not in again.content.decode()
    token = ApiToken.objects.get(user=owner)
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_without_name_is_refused_with_field_error(owner, client_for):
    response = client_for(owner).post(reverse("accounts:tokens"), {"name": "  "})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()
