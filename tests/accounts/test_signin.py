"""Sign-in rules without a browser: local sign-in switch, break-glass accounts, who must
have a second factor, lockout of the second factor, roles from groups, ending sessions,
deactivation, and what the audit chain records."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.test import Client

from accounts.models import AuditEvent
from accounts.services import token_create, user_sessions_end
from accounts.sso import roles
from config.env import env_role_map
from tests.accounts.test_admin_audit import change
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- the login page -----------------------------------------------------------------------


def test_login_page_offers_single_sign_on_only_when_configured(client, settings):
    page = client.get("/accounts/login/").content.decode()
    assert 'name="username"' in page and "Sign in with" not in page
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
            "APPS": [
                {
                    "provider_id": "corp",
                    "name": "Contoso",
                    "client_id": "id",
                    "secret": "s",
                    "settings": {"server_url": "https://login.example.com"},
                }
            ],
        }
    }
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Contoso" in page
    assert 'action="/accounts/oidc/corp/login/' in page


def test_password_sign_in_success_and_failure_are_audited_without_secrets(owner):
    browser = Client()
    assert sign_in(browser, "owner", "not-the-password").status_code == 200
    assert sign_in(browser, "nobody-here", "typed-in-secret").status_code == 200
    assert sign_in(browser, "owner").status_code == 302
    failures = events("signin.failure")
    assert [f.after["username"] for f in failures] == ["owner", ""]
    assert failures[1].object_id == "unknown"
    success = events("signin.success")[-1]
    assert success.actor_id == owner.pk and success.after["method"] == "password"
    browser.post("/accounts/logout/")
    assert events("signout")[-1].actor_id == owner.pk
    chain = str(list(AuditEvent.objects.values_list("before", "after")))
    assert "not-the-password" not in chain and "typed-in-secret" not in chain
    assert "nobody-here" not in chain


# --- local sign-in switch and break-glass -------------------------------------------------


def test_local_sign_in_turned_off_refuses_all_but_the_break_glass_accounts(settings, owner):
    settings.PILOTGATE_LOCAL_LOGIN = False
    settings.PILOTGATE_BREAK_GLASS_USERS = ["breakglass"]
    UserFactory(username="breakglass", is_superuser=True, is_staff=True)
    refused = sign_in(Client(), "owner")
    assert refused.status_code == 200
    assert "Sign-in with a password is turned off here" in refused.content.decode()
    assert events("signin.failure")[-1].after["reason"] == "local_login_off"
    assert sign_in(Client(), "breakglass").status_code == 302


# --- second factor ------------------------------------------------------------------------


def test_staff_must_set_up_a_second_factor_when_the_setting_says_so(settings, admin_user):
    browser = Client()
    browser.force_login(admin_user)
    assert browser.get("/pilots/").status_code == 200  # the embedded default: not required
    settings.PILOTGATE_MFA_REQUIRED_FOR_STAFF = True
    response = browser.get("/pilots/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/mfa/")
    TOTP.activate(admin_user, generate_totp_secret())
    assert browser.get("/pilots/").status_code == 200


def test_governance_leads_need_a_second_factor_only_with_their_setting(
    settings, governance_lead, owner
):
    settings.PILOTGATE_MFA_REQUIRED_FOR_STAFF = True
    browser = Client()
    browser.force_login(governance_lead)
    assert browser.get("/pilots/").status_code == 200
    settings.PILOTGATE_MFA_REQUIRED_FOR_LEADS = True
    assert browser.get("/pilots/").status_code == 302
    # An owner is neither: never asked.
    other = Client()
    other.force_login(owner)
    assert other.get("/pilots/").status_code == 200


def test_wrong_second_factor_codes_lock_out_like_wrong_passwords(owner):
    cache.clear()
    TOTP.activate(owner, generate_totp_secret())
    RecoveryCodes.activate(owner)
    browser = Client()
    response = sign_in(browser, "owner")
    assert response.status_code == 302 and response["Location"] == "/accounts/mfa/authenticate/"
    codes = [
        browser.post("/accounts/mfa/authenticate/", {"code": "000000"}).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]
    assert [e.after["reason"] for e in events("signin.failure")] == ["mfa_code"] * 5
    # The password is locked out too now, for this username and address.
    assert sign_in(Client(), "owner").status_code == 429
    assert "_auth_user_id" not in browser.session


def test_mfa_changes_are_audited(owner):
    browser = Client()
    browser.force_login(owner)
    secret = generate_totp_secret()
    TOTP.activate(owner, secret)
    authenticator = Authenticator.objects.get(user=owner, type="totp")
    from allauth.mfa import signals

    signals.authenticator_added.send(
        sender=Authenticator, request=None, user=owner, authenticator=authenticator
    )
    event = events("mfa.totp.add")[-1]
    assert event.actor_id == owner.pk and secret not in str(event.after)


# --- roles from directory groups -----------------------------------------------------------


def test_roles_follow_the_mapped_groups_and_leave_unmapped_roles_alone(settings):
    settings.OIDC_GROUP_ROLES = {"leads": "governance_lead", "execs": "executive"}
    user = UserFactory()
    user.groups.add(Group.objects.get(name="contributor"))
    assert roles.roles_sync(user=user, groups=["leads", "other"], provider="corp") == (
        [],
        ["governance_lead"],
    )
    assert roles.roles_sync(user=user, groups=["execs"], provider="corp") == (
        ["governance_lead"],
        ["executive"],
    )
    assert set(user.groups.values_list("name", flat=True)) == {"executive", "contributor"}
    count = AuditEvent.objects.filter(action="user.roles_sync").count()
    roles.roles_sync(user=user, groups=["execs"], provider="corp")
    assert AuditEvent.objects.filter(action="user.roles_sync").count() == count  # no change


@pytest.mark.parametrize(
    ("claim", "groups"),
    [(["a", "b"], ["a", "b"]), ("a", ["a"]), (None, []), ({"a": 1}, []), ([1, "b"], ["b"])],
)
def test_groups_claim_of_any_shape_reads_safely(claim, groups):
    assert roles.groups_from_claims({"groups": claim}) == groups


def test_group_role_mapping_setting_refuses_unknown_roles(monkeypatch):
    monkeypatch.setenv("OIDC_GROUP_ROLES", "pg-admins=admin, pg-leads = governance_lead")
    assert env_role_map("OIDC_GROUP_ROLES") == {"pg-admins": "admin", "pg-leads": "governance_lead"}
    monkeypatch.setenv("OIDC_GROUP_ROLES", "pg-admins=superuser")
    with pytest.raises(ImproperlyConfigured, match="OIDC_GROUP_ROLES"):
        env_role_map("OIDC_GROUP_ROLES")


# --- sessions and deactivation -------------------------------------------------------------


def test_a_user_ends_their_other_sessions_but_not_someone_elses(owner, outsider):
    laptop, phone = Client(), Client(HTTP_USER_AGENT="phone")
    sign_in(laptop, "owner")
    sign_in(phone, "owner")
    page = laptop.get("/accounts/sessions/")
    assert page.status_code == 200 and "phone" in page.content.decode()
    laptop.post("/accounts/sessions/", {"action": "sign_out_other"})
    assert laptop.get("/pilots/").status_code == 200
    assert phone.get("/pilots/").status_code == 302
    assert events("sessions.end")[-1].actor_id == owner.pk
    with pytest.raises(PermissionDenied):
        user_sessions_end(user=owner, by=outsider)


def test_deactivating_a_user_in_the_admin_revokes_tokens_and_ends_sessions(
    client_for, admin_user, owner
):
    _, secret = token_create(by=owner, name="ci")
    session = Client()
    sign_in(session, "owner")
    assert UserSession.objects.filter(user=owner).count() == 1
    response = change(
        client_for(admin_user), f"/admin/accounts/user/{owner.pk}/change/", is_active=""
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert not owner.is_active
    assert owner.api_tokens.get().revoked_at is not None
    assert session.get("/pilots/").status_code == 302
    assert not UserSession.objects.filter(user=owner).exists()
    assert events("token.revoke")[-1].actor_id == admin_user.pk
    assert events("sessions.end")[-1].object_id == str(owner.pk)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/pilots/").status_code == 401
    # Reactivating the account does not bring the token back.
    owner.is_active = True
    owner.save()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/pilots/").status_code == 401


def test_an_admin_ends_a_users_sessions_from_the_user_list(client_for, admin_user, owner):
    session = Client()
    sign_in(session, "owner")
    response = client_for(admin_user).post(
        "/admin/accounts/user/",
        {"action": "end_sessions", "_selected_action": [str(owner.pk)]},
    )
    assert response.status_code == 302
    assert session.get("/pilots/").status_code == 302
    assert events("sessions.end")[-1].actor_id == admin_user.pk


def test_the_admin_signs_in_through_the_one_login_page(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Flogin%2F"
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 302


@pytest.mark.parametrize(
    ("alg", "key"), [("none", None), ("HS256", "the-client-secret-as-an-hmac-key")]
)
def test_id_tokens_signed_without_the_providers_private_key_are_refused(alg, key, rf):
    import jwt

    from accounts.sso.provider import PilotgateOIDCAdapter, SignInRefused

    token = jwt.encode({"sub": "x", "iss": "i", "aud": "c"}, key, algorithm=alg)
    adapter = PilotgateOIDCAdapter(rf.get("/"), "sso")
    with pytest.raises(SignInRefused) as refused:
        adapter._decode_id_token(app=None, id_token=token)
    assert refused.value.reason == "id_token_algorithm_not_allowed"
