from django.urls import path

from portfolio import views
from portfolio.workbooks.urls import urlpatterns as workbook_urls

app_name = "portfolio"

urlpatterns = [
    path("", views.pilot_list, name="pilot_list"),
    path("new/", views.pilot_create, name="pilot_create"),
    path("<int:pk>/", views.pilot_detail, name="pilot_detail"),
    path("<int:pk>/edit/", views.pilot_edit, name="pilot_edit"),
    path("<int:pk>/roles/", views.pilot_roles, name="pilot_roles"),
    *workbook_urls,
]
