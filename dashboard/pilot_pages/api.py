from dashboard.pilot_pages.filters import PortfolioPilotFilter
from portfolio.api import PilotViewSet as PortfolioPilotViewSet


class PilotViewSet(PortfolioPilotViewSet):
    """/api/pilots/: portfolio's pilot endpoints, with the list filtered by signal and
    attention too (the same filters as the pilot list page)."""

    filterset_class = PortfolioPilotFilter
