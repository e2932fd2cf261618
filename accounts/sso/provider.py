"""django-allauth's OpenID Connect client, tightened where the standard lets it be loose.

allauth (65.x) sends no nonce, and skips the ID token's signature when the token came
straight from the token endpoint over TLS (the specification allows that). Pilotgate
checks both, always: a nonce bound to the browser's sign-in attempt (kept in allauth's
one-time state with the PKCE verifier), the signature against the issuer's published
keys (asymmetric algorithms only), issuer, audience, expiry and issue time with a bounded
clock skew (OIDC_CLOCK_SKEW_SECONDS). Each refusal raises `SignInRefused` with a reason
code that the refusal page and the audit event name (accounts/sso/adapters.py).

Registered in place of allauth's class by SOCIALACCOUNT_PROVIDERS["openid_connect"]
["provider_class"]; its login and callback views are in accounts/sso/urls.py.
"""

from __future__ import annotations

import hmac
import secrets

import jwt
from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.http import Http404

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


class SignInRefused(OAuth2Error):
    """A sign-in the provider vouched for that Pilotgate refuses; `reason` is a code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PilotgateOIDCAdapter(OpenIDConnectOAuth2Adapter):
    expected_nonce: str | None = None

    def complete_login(self, request, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise SignInRefused("no_id_token")
        claims = self._decode_id_token(app, id_token)
        data = {"id_token": claims}
        if app.settings.get("fetch_userinfo", True):
            userinfo = self._fetch_user_info(token.token)
            # OpenID Connect Core 5.3.2: the userinfo's sub must be the ID token's.
            if str(userinfo.get("sub")) != str(claims["sub"]):
                raise SignInRefused("userinfo_subject_mismatch")
            data["userinfo"] = {**claims, **userinfo}
        login = self.get_provider().sociallogin_from_response(request, data)
        login.pilotgate_id_token = id_token
        return login

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise SignInRefused("malformed_id_token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise SignInRefused("id_token_algorithm_not_allowed")
        try:
            alg, key = jwtkit.fetch_key(
                id_token, self.openid_config["jwks_uri"], jwtkit.lookup_kid_jwk
            )
            claims = jwt.decode(
                id_token,
                key=key,
                algorithms=[alg],
                issuer=self.openid_config["issuer"],
                audience=app.client_id,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise SignInRefused("id_token_expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise SignInRefused("id_token_not_yet_valid") from exc
        except jwt.InvalidSignatureError as exc:
            raise SignInRefused("id_token_signature_invalid") from exc
        except (jwt.InvalidIssuerError, jwt.InvalidAudienceError) as exc:
            raise SignInRefused("id_token_wrong_issuer_or_audience") from exc
        except (jwt.PyJWTError, KeyError, OAuth2Error) as exc:
            raise SignInRefused("id_token_invalid") from exc
        nonce = claims.get("nonce")
        if (
            not self.expected_nonce
            or not isinstance(nonce, str)
            or not hmac.compare_digest(nonce, self.expected_nonce)
        ):
            raise SignInRefused("nonce_mismatch")
        return claims


class PilotgateOIDCProvider(OpenIDConnectProvider):
    oauth2_adapter_class = PilotgateOIDCAdapter

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params["nonce"] = nonce
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )


class CallbackView(OAuth2CallbackView):
    def _get_state(self, request, provider):
        state, response = super()._get_state(request, provider)
        if state is not None:
            self.adapter.expected_nonce = state.get("nonce")
        return state, response


@login_not_required
def login(request, provider_id):
    try:
        return OAuth2LoginView.adapter_view(PilotgateOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc


@login_not_required
def callback(request, provider_id):
    try:
        return CallbackView.adapter_view(PilotgateOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
