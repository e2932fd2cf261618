"""The login form and the second-factor form, both under django-axes' lockout."""

from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.base.forms import AuthenticateForm
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth.signals import user_login_failed

from accounts.sso import policy


class LoginForm(AllauthLoginForm):
    """allauth's login form with the field named `username`, as Django's was: the login
    page, django-axes (which reads `username` from the POST) and scripts keep working."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"] = self.fields.pop("login")
        self.fields["username"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""
        self.order_fields(["username", "password"])

    def clean(self):
        if "username" in self.cleaned_data:
            self.cleaned_data["login"] = self.cleaned_data["username"]
        username = self.cleaned_data.get("username", "")
        if username and not policy.local_login_allowed(username):
            # Counted as a failure (axes, audit) without checking the password.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": username},
                request=self.request,
                reason="local_login_off",
            )
            raise forms.ValidationError(
                "Sign-in with a password is turned off here; use single sign-on.",
                code="local_login_off",
            )
        return super().clean()

    def add_error(self, field, error):
        # allauth reports credential errors on `login`; that field is `username` here.
        super().add_error("username" if field == "login" else field, error)


class MfaAuthenticateForm(AuthenticateForm):
    """The code asked after the password. A wrong code counts as a failed sign-in for the
    same (username, address) pair as a wrong password, so lockout covers both factors."""

    def clean_code(self) -> str:
        credentials = {"username": self.user.get_username()}
        request = getattr(self, "request", None) or _current_request()
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.axes_locked_out = True
            raise forms.ValidationError("Too many failed attempts.", code="locked")
        try:
            return super().clean_code()
        except forms.ValidationError:
            user_login_failed.send(
                sender=__name__, credentials=credentials, request=request, reason="mfa_code"
            )
            raise


def _current_request():
    from allauth.core import context

    return context.request
