from django.urls import path

from onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("template.csv", views.template_csv, name="template_csv"),
    path("<int:pk>/", views.preview, name="preview"),
    path("<int:pk>/import/", views.confirm, name="confirm"),
    path("<int:pk>/discard/", views.discard, name="discard"),
]
