"""Second factor in Chromium: enrol an authenticator app, sign in with its code, with a
recovery code (once only), and lockout after wrong codes."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import AuditEvent
from tests.browser.axe import violations
from tests.browser.conftest import PASSWORD, submit_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def code(secret: str, step: int = 0) -> str:
    """The authenticator app's code, `step` periods from now."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step))


def password_step(page, live_url, username: str) -> None:
    submit_login(page, live_url("/accounts/login/"), username, PASSWORD)
    page.wait_for_url(re.compile(r"/accounts/mfa/authenticate/"))


def code_step(page, value: str) -> None:
    page.get_by_label("Code").fill(value)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state("load")


def actions(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.fixture
def tolerant_totp(settings):
    # One period either side, so the test can sign in with the next code right after
    # enrolling with this one (a code is accepted once only).
    settings.MFA_TOTP_TOLERANCE = 1
    cache.clear()


def test_enrol_an_authenticator_then_sign_in_with_its_code(page, live_url, login, tolerant_totp):
    user = UserFactory(username="tara", email="tara@example.com")
    login(page, user)
    page.get_by_role("link", name="Two-factor").click()
    page.get_by_role("link", name="Activate").click()
    # Setting up a factor asks for the password again (django-allauth's reauthentication).
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    assert violations(page) == []
    page.get_by_label("Authenticator code").fill(code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    assert violations(page) == []
    assert {"mfa.totp.add", "mfa.recovery_codes.add"} <= set(actions(user))
    chain = str(list(AuditEvent.objects.values_list("before", "after")))
    assert secret not in chain

    page.get_by_role("button", name="Log out").click()
    password_step(page, live_url, "tara")
    assert violations(page) == []
    code_step(page, code(secret, step=1))
    expect(page.get_by_text("Signed in as")).to_contain_text(str(user))
    signed_in = AuditEvent.objects.filter(action="signin.success").latest("id")
    assert signed_in.after["method"] == "password+totp"


def test_a_recovery_code_signs_in_once(page, live_url, tolerant_totp):
    user = UserFactory(username="rita")
    TOTP.activate(user, generate_totp_secret())
    recovery = RecoveryCodes.activate(user).get_unused_codes()[0]
    password_step(page, live_url, "rita")
    code_step(page, recovery)
    expect(page.get_by_text("Signed in as")).to_contain_text(str(user))
    assert (
        AuditEvent.objects.filter(action="signin.success").latest("id").after["method"]
        == "password+recovery_codes"
    )
    page.get_by_role("button", name="Log out").click()
    password_step(page, live_url, "rita")
    code_step(page, recovery)
    expect(page.locator("[data-error-summary]")).to_contain_text("Incorrect code")
    expect(page).to_have_url(re.compile(r"/accounts/mfa/authenticate/"))


def test_wrong_codes_lock_the_sign_in_out(page, live_url, tolerant_totp):
    user = UserFactory(username="lena")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    password_step(page, live_url, "lena")
    for _ in range(4):
        code_step(page, "000000")
        expect(page.locator("[data-error-summary]")).to_contain_text("Incorrect code")
    code_step(page, "000000")
    expect(page.get_by_role("heading", name="Sign-in temporarily locked")).to_be_visible()
    # The right password does not help while the lock lasts, from a fresh browser either.
    page.context.clear_cookies()
    submit_login(page, live_url("/accounts/login/"), "lena", PASSWORD)
    expect(page.get_by_role("heading", name="Sign-in temporarily locked")).to_be_visible()
    failures = AuditEvent.objects.filter(action="signin.failure", object_id=str(user.pk))
    reasons = list(failures.order_by("id").values_list("after__reason", flat=True))
    assert reasons == ["mfa_code"] * 5 + ["password"]
