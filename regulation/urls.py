from django.urls import path

from regulation import views

app_name = "regulation"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("obligations/", views.obligations, name="obligations"),
    path("obligations/<slug:key>/", views.obligation_edit, name="obligation_edit"),
    path("pilots/<int:pk>/", views.profile, name="profile"),
    path("pilots/<int:pk>/confirm/", views.profile_confirm, name="profile_confirm"),
]
