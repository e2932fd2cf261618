"""The login page: allauth's login view on Pilotgate's template."""

from __future__ import annotations

from allauth.account.views import LoginView as AllauthLoginView


class LoginView(AllauthLoginView):
    template_name = "registration/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = context.get("redirect_field_value") or ""
        return context


login = LoginView.as_view()
