from django.urls import include, path

from config.routers import Router
from dashboard.api import PortfolioSummaryView
from gates import api as gates_api
from metrics.api import MetricSeriesView, PilotSignalView, SnapshotPushView
from metrics.sources.api import PilotSourcesView, SourceDetailView, SourcePullView
from portfolio.api import PilotViewSet
from portfolio.workbooks.api import WorkbookView
from regulation import api as regulation_api

router = Router(trailing_slash=True)
router.register("pilots", PilotViewSet, basename="pilot")

urlpatterns = [
    path("portfolio/summary/", PortfolioSummaryView.as_view(), name="dashboard-summary-api"),
    path("snapshots/", SnapshotPushView.as_view(), name="snapshot-push"),
    path("pilots/<int:pk>/metrics/", MetricSeriesView.as_view(), name="pilot-metric-series"),
    path("pilots/<int:pk>/signal/", PilotSignalView.as_view(), name="pilot-signal"),
    path("pilots/<int:pilot_pk>/sources/", PilotSourcesView.as_view(), name="pilot-sources"),
    path("sources/<int:pk>/", SourceDetailView.as_view(), name="source-detail"),
    path("sources/<int:pk>/pull/", SourcePullView.as_view(), name="source-pull"),
    path("", include(router.urls)),
    path("pilots/<int:pk>/workbooks/<str:phase>/", WorkbookView.as_view(), name="workbook"),
    path("pilots/<int:pk>/evaluation/", gates_api.PilotEvaluationView.as_view()),
    path("pilots/<int:pk>/reviews/", gates_api.PilotReviewsView.as_view()),
    path("reviews/", gates_api.ReviewListView.as_view()),
    path("reviews/<int:pk>/", gates_api.ReviewDetailView.as_view()),
    path("reviews/<int:pk>/decisions/", gates_api.ReviewDecisionView.as_view()),
    path("reviews/<int:pk>/withdraw/", gates_api.ReviewWithdrawView.as_view()),
    path("pilots/<int:pk>/waivers/", gates_api.PilotWaiversView.as_view()),
    path("waivers/<int:pk>/revoke/", gates_api.WaiverRevokeView.as_view()),
    path("pilots/<int:pk>/regulatory-profile/", regulation_api.PilotProfileView.as_view()),
    path(
        "pilots/<int:pk>/regulatory-profile/confirm/",
        regulation_api.PilotProfileConfirmView.as_view(),
    ),
    path("pilots/<int:pk>/obligations/", regulation_api.PilotCoverageView.as_view()),
    path("obligations/", regulation_api.ObligationListView.as_view()),
    path("obligations/<slug:key>/", regulation_api.ObligationDetailView.as_view()),
]
