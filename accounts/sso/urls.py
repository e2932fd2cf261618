"""django-allauth's pages that Pilotgate uses, under /accounts/ without a namespace (allauth
reverses them by these names). Login and logout keep their `accounts:` names too."""

from allauth.account import views as account_views
from allauth.socialaccount import views as social_views
from django.urls import include, path

from accounts.sso import provider, views

urlpatterns = [
    path("login/", views.login, name="account_login"),
    path("logout/", account_views.logout, name="account_logout"),
    path("inactive/", account_views.account_inactive, name="account_inactive"),
    path("reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path("mfa/", include("allauth.mfa.urls")),
    path("sessions/", include("allauth.usersessions.urls")),
    # Not allauth's "connections" page: identities are linked only by a verified email.
    path("sso/cancelled/", social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("sso/error/", social_views.login_error, name="socialaccount_login_error"),
    path("sso/signup/", social_views.signup, name="socialaccount_signup"),
    path("oidc/<str:provider_id>/login/", provider.login, name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        provider.callback,
        name="openid_connect_callback",
    ),
]
