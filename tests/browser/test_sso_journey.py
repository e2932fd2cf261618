"""Single sign-on in Chromium against a real OpenID Provider (tests/oidc/provider.mjs).

Every sign-in runs the whole authorization-code flow: Pilotgate's login page, the
provider's sign-in page, the callback with its state, nonce, PKCE verifier and signed ID
token, then Pilotgate's page. Refusals are made at the provider's side (a tampered or
expired ID token from its token endpoint, a nonce changed on the way, an unverified email)
or by replaying a callback, and each must show the refusal page and leave an audit event.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.models import AuditEvent, User
from tests.browser.axe import violations
from tests.factories import UserFactory
from tests.oidc import server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def idp(live_server, settings):
    provider = server.start(live_server.url)
    server.configure(settings, provider.issuer)
    yield provider
    server.stop(provider)


def sso_sign_in(page, live_url, login: str) -> None:
    """From Pilotgate's login page through the provider's sign-in page and back."""
    page.goto(live_url("/accounts/login/"))
    page.get_by_role("button", name=f"Sign in with {server.PROVIDER_NAME}").click()
    page.wait_for_url(re.compile(r"/interaction/"))
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', "any password: the test provider checks none")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(re.compile(re.escape(live_url("/"))))
    page.wait_for_load_state("load")


def roles_of(username: str) -> set[str]:
    user = User.objects.get(username=username)
    return set(user.groups.values_list("name", flat=True))


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


def expect_refused(page, reason: str) -> None:
    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(page.locator("code")).to_have_text(reason)
    event = last_event("signin.refused")
    assert event is not None and event.after["reason"] == reason


def test_first_sign_in_creates_the_user_with_the_role_of_their_group(page, live_url, idp):
    page.goto(live_url("/accounts/login/"))
    assert violations(page) == []
    sso_sign_in(page, live_url, "alice")
    expect(page.get_by_text("Signed in as")).to_contain_text("Alice Lead")
    user = User.objects.get(username="alice")
    assert user.email == "alice@example.com"
    assert roles_of("alice") == {"governance_lead"}
    created = last_event("user.create_sso")
    assert created.object_id == str(user.pk) and created.after["provider"] == server.PROVIDER_ID
    synced = last_event("user.roles_sync")
    assert (synced.before, synced.after["roles"]) == ({"roles": []}, ["governance_lead"])
    signed_in = last_event("signin.success")
    assert signed_in.actor_id == user.pk and signed_in.after["method"] == "sso"
    # No token, code or secret in the audit chain.
    chain = str(list(AuditEvent.objects.values_list("before", "after")))
    assert "eyJ" not in chain and server.CLIENT_SECRET not in chain


def test_group_removed_at_the_provider_removes_the_role_at_next_sign_in(page, live_url, idp):
    sso_sign_in(page, live_url, "bob")
    assert roles_of("bob") == {"executive"}
    # A role the mapping does not manage stays as Pilotgate set it.
    User.objects.get(username="bob").groups.add(Group.objects.get(name="contributor"))
    page.context.clear_cookies()

    idp.set_account("bob", groups=["pg-governance"])
    sso_sign_in(page, live_url, "bob")
    assert roles_of("bob") == {"governance_lead", "contributor"}
    page.context.clear_cookies()

    idp.set_account("bob", groups=[])
    sso_sign_in(page, live_url, "bob")
    assert roles_of("bob") == {"contributor"}
    synced = last_event("user.roles_sync")
    assert synced.before == {"roles": ["governance_lead"]} and synced.after["roles"] == []


def test_logout_ends_the_pilotgate_and_the_provider_session(page, live_url, idp):
    sso_sign_in(page, live_url, "alice")
    page.get_by_role("button", name="Log out").click()
    # RP-initiated logout: the provider asks, ends its session and sends the browser back.
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(live_url("/accounts/login/"))
    assert last_event("signout").actor.username == "alice"
    page.goto(live_url("/pilots/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    # The provider asks for credentials again: its session ended too.
    page.get_by_role("button", name=f"Sign in with {server.PROVIDER_NAME}").click()
    page.wait_for_url(re.compile(r"/interaction/"))
    expect(page.locator('input[name="login"]')).to_be_visible()


def test_a_tampered_id_token_is_refused(page, live_url, idp):
    idp.set_mode("tamper")
    sso_sign_in(page, live_url, "bob")
    expect_refused(page, "id_token_signature_invalid")
    assert violations(page) == []
    assert not User.objects.filter(username="bob").exists()


def test_an_expired_id_token_is_refused(page, live_url, idp):
    idp.set_mode("expired")
    sso_sign_in(page, live_url, "bob")
    expect_refused(page, "id_token_expired")
    assert not User.objects.filter(username="bob").exists()


def test_a_wrong_nonce_is_refused(page, live_url, idp):
    def swap_nonce(route):
        # Pilotgate's answer is the redirect to the provider; change the nonce it carries.
        response = route.fetch(max_redirects=0)
        parts = urlsplit(response.headers["location"])
        query = dict(parse_qsl(parts.query))
        assert query["nonce"]
        query["nonce"] = "a-nonce-this-browser-never-sent"
        location = urlunsplit(parts._replace(query=urlencode(query)))
        route.fulfill(response=response, headers={**response.headers, "location": location})

    page.route(re.compile(r"/accounts/oidc/sso/login/(\?|$)"), swap_nonce)
    sso_sign_in(page, live_url, "bob")
    expect_refused(page, "nonce_mismatch")
    assert not User.objects.filter(username="bob").exists()


def test_a_replayed_state_is_refused(page, live_url, idp):
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/callback/?" in r.url else None)
    sso_sign_in(page, live_url, "alice")
    assert len(callbacks) == 1
    page.goto(callbacks[0])
    expect_refused(page, "state_unknown_or_reused")


def test_an_unverified_email_of_an_existing_account_is_refused(page, live_url, idp):
    owner = UserFactory(username="owner", email="owner@example.com")
    sso_sign_in(page, live_url, "mallory")
    expect_refused(page, "email_unverified")
    assert last_event("signin.refused").object_id == str(owner.pk)
    assert not owner.socialaccount_set.exists()
    assert roles_of("owner") == set()
    page.goto(live_url("/pilots/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_a_verified_email_links_the_existing_account(page, live_url, idp):
    olive = UserFactory(username="olive.local", email="olive@example.com")
    sso_sign_in(page, live_url, "olive")
    expect(page.get_by_text("Signed in as")).to_contain_text(str(olive))
    assert olive.socialaccount_set.get().uid == "olive"
    assert last_event("user.sso_link").object_id == str(olive.pk)
    assert not User.objects.filter(username="olive").exists()


def test_a_deactivated_user_cannot_sign_in_through_the_provider(page, live_url, idp):
    sso_sign_in(page, live_url, "alice")
    User.objects.filter(username="alice").update(is_active=False)
    page.context.clear_cookies()
    sso_sign_in(page, live_url, "alice")
    expect_refused(page, "account_inactive")


def test_linking_another_identity_to_a_signed_in_account_is_refused(page, live_url, login, idp):
    local = UserFactory(username="local.user", email="local@example.com")
    login(page, local)
    # allauth's "connect" process, which Pilotgate does not offer, asked for by hand.
    page.evaluate(
        """() => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/accounts/oidc/sso/login/?process=connect';
            const csrf = document.createElement('input');
            csrf.name = 'csrfmiddlewaretoken';
            csrf.value = document.cookie.match(/csrftoken=([^;]+)/)[1];
            form.appendChild(csrf);
            document.body.appendChild(form);
            form.submit();
        }"""
    )
    page.wait_for_url(re.compile(r"/interaction/"))
    page.fill('input[name="login"]', "alice")
    page.fill('input[name="password"]', "any")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(re.compile(re.escape(live_url("/"))))
    expect_refused(page, "connect_not_offered")
    assert not local.socialaccount_set.exists()
