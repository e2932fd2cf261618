from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("alerts/bulk/", views.alerts_bulk, name="alerts_bulk"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="alert_resolve"),
]

# Metric sources and CSV uploads (metrics/sources/urls.py).
from metrics.sources.urls import urlpatterns as _source_urlpatterns  # noqa: E402

urlpatterns += _source_urlpatterns
