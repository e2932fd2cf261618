from django.urls import include, path

from config.routers import Router
from portfolio.api import PilotViewSet
from portfolio.workbooks.api import WorkbookView

router = Router(trailing_slash=True)
router.register("pilots", PilotViewSet, basename="pilot")

urlpatterns = [
    path("", include(router.urls)),
    path("pilots/<int:pk>/workbooks/<str:phase>/", WorkbookView.as_view(), name="workbook"),
]
