from django.urls import include, path

from config.routers import Router
from dashboard.api import PortfolioSummaryView
from dashboard.pilot_pages.api import PilotViewSet
from gates import api as gates_api
from inventory import api as inventory_api
from metrics.api import MetricSeriesView, PilotSignalView, SnapshotPushView
from metrics.sources.api import PilotSourcesView, SourceDetailView, SourcePullView
from portfolio.workbooks.api import WorkbookView
from regulation import api as regulation_api
from webhooks import api as webhooks_api

router = Router(trailing_slash=True)
router.register("pilots", PilotViewSet, basename="pilot")
router.register("inventory/models", inventory_api.AIModelViewSet, basename="inventory-model")
router.register("inventory/prompts", inventory_api.PromptViewSet, basename="inventory-prompt")
router.register("inventory/datasets", inventory_api.DatasetViewSet, basename="inventory-dataset")
router.register("inventory/vendors", inventory_api.VendorViewSet, basename="inventory-vendor")

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
    path("pilots/<int:pk>/checklists/<slug:slug>/", gates_api.PilotChecklistView.as_view()),
    path("crosswalk/", gates_api.CrosswalkView.as_view()),
    path("waivers/<int:pk>/revoke/", gates_api.WaiverRevokeView.as_view()),
    path("webhooks/event-types/", webhooks_api.EventTypeListView.as_view()),
    path("webhooks/subscriptions/", webhooks_api.SubscriptionListView.as_view()),
    path("webhooks/subscriptions/<int:pk>/", webhooks_api.SubscriptionDetailView.as_view()),
    path(
        "webhooks/subscriptions/<int:pk>/rotate-secret/",
        webhooks_api.SubscriptionRotateView.as_view(),
    ),
    path("webhooks/subscriptions/<int:pk>/test/", webhooks_api.SubscriptionPingView.as_view()),
    path(
        "webhooks/subscriptions/<int:pk>/deliveries/",
        webhooks_api.SubscriptionDeliveriesView.as_view(),
    ),
    path("webhooks/deliveries/<int:pk>/", webhooks_api.DeliveryDetailView.as_view()),
    path("webhooks/deliveries/<int:pk>/redeliver/", webhooks_api.DeliveryRedeliverView.as_view()),
    path("pilots/<int:pk>/assets/", inventory_api.PilotAssetsView.as_view()),
    path("pilots/<int:pk>/changes/", inventory_api.PilotChangesView.as_view()),
    path("changes/<int:pk>/", inventory_api.ChangeDetailView.as_view()),
    path("pilots/<int:pk>/regulatory-profile/", regulation_api.PilotProfileView.as_view()),
    path(
        "pilots/<int:pk>/regulatory-profile/confirm/",
        regulation_api.PilotProfileConfirmView.as_view(),
    ),
    path("pilots/<int:pk>/obligations/", regulation_api.PilotCoverageView.as_view()),
    path("obligations/", regulation_api.ObligationListView.as_view()),
    path("obligations/<slug:key>/", regulation_api.ObligationDetailView.as_view()),
]
