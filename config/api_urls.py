from django.urls import include, path
from rest_framework.routers import DefaultRouter

from portfolio.api import PilotViewSet
from portfolio.workbooks.api import WorkbookView

router = DefaultRouter(trailing_slash=True)
router.register("pilots", PilotViewSet, basename="pilot")

urlpatterns = [
    path("", include(router.urls)),
    path("pilots/<int:pk>/workbooks/<str:phase>/", WorkbookView.as_view(), name="workbook"),
]
