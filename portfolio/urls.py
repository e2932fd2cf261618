from django.urls import path

from portfolio import views
from portfolio.workbooks.urls import urlpatterns as workbook_urls

# Included with dashboard.pilot_pages.urls (the list and the pilot page) under the
# "portfolio" namespace by config/urls.py.
urlpatterns = [
    path("new/", views.pilot_create, name="pilot_create"),
    path("<int:pk>/edit/", views.pilot_edit, name="pilot_edit"),
    path("<int:pk>/roles/", views.pilot_roles, name="pilot_roles"),
    *workbook_urls,
]
