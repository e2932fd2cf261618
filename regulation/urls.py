from django.urls import path

from regulation import views

app_name = "regulation"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("obligations/", views.obligations, name="obligations"),
    path("obligations/<slug:key>/", views.obligation_edit, name="obligation_edit"),
    path("pilots/<int:pk>/", views.profile, name="profile"),
    path("pilots/<int:pk>/confirm/", views.profile_confirm, name="profile_confirm"),
    path("pilots/<int:pk>/documents/<slug:kind>/", views.document, name="document"),
    path(
        "pilots/<int:pk>/documents/<slug:kind>.md",
        views.document,
        {"fmt": "md"},
        name="document_markdown",
    ),
    path(
        "pilots/<int:pk>/documents/<slug:kind>.pdf",
        views.document,
        {"fmt": "pdf"},
        name="document_pdf",
    ),
]
