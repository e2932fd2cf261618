from django.urls import path

from dashboard.pilot_pages import views

# Included with portfolio.urls under the "portfolio" namespace (config/urls.py).
urlpatterns = [
    path("", views.pilot_list, name="pilot_list"),
    path("<int:pk>/", views.pilot_detail, name="pilot_detail"),
]
