from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from config import views
from dashboard.mywork.views import home
from dashboard.pilot_pages.urls import urlpatterns as pilot_pages
from portfolio.urls import urlpatterns as pilot_edits

# The admin signs in through the one login page (lockout, second factor, audit).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", home, name="home"),
    path("my-work/", include("dashboard.mywork.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/notifications/", include("notify.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("accounts.sso.urls")),
    # One "portfolio" namespace: the cross-app pages (dashboard) and the pilot's own ones.
    path("pilots/", include(([*pilot_pages, *pilot_edits], "portfolio"))),
    path("metrics/", include("metrics.urls")),
    path("gates/", include("gates.urls")),
    path("inventory/", include("inventory.urls")),
    path("import/", include("onboarding.urls")),
    path("portfolio/", include("dashboard.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("regulation/", include("regulation.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", views.ApiSchemaView.as_view(), name="api-schema"),
    path("api/docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("config.api_urls")),
]

handler400 = "config.api_errors.bad_request"
handler403 = "config.api_errors.permission_denied"
handler404 = "config.api_errors.page_not_found"
handler500 = "config.api_errors.server_error"
