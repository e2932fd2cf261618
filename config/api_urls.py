from django.urls import include, path

from config.routers import Router
from portfolio.api import PilotViewSet

router = Router(trailing_slash=True)
router.register("pilots", PilotViewSet, basename="pilot")

urlpatterns = [
    path("", include(router.urls)),
]
