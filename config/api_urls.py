from django.urls import include, path

from config.routers import Router
from metrics.api import MetricSeriesView, SnapshotPushView
from portfolio.api import PilotViewSet
from portfolio.workbooks.api import WorkbookView

router = Router(trailing_slash=True)
router.register("pilots", PilotViewSet, basename="pilot")

urlpatterns = [
    path("snapshots/", SnapshotPushView.as_view(), name="snapshot-push"),
    path("pilots/<int:pk>/metrics/", MetricSeriesView.as_view(), name="pilot-metric-series"),
    path("", include(router.urls)),
    path("pilots/<int:pk>/workbooks/<str:phase>/", WorkbookView.as_view(), name="workbook"),
]
