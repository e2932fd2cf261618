from django.urls import include, path
from rest_framework.routers import DefaultRouter

from portfolio.api import PilotViewSet
from portfolio.dashboard.api import PortfolioSummaryView

router = DefaultRouter(trailing_slash=True)
router.register("pilots", PilotViewSet, basename="pilot")

urlpatterns = [
    path("portfolio/summary/", PortfolioSummaryView.as_view(), name="dashboard-summary-api"),
    path("", include(router.urls)),
]
