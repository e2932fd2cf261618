from django.urls import include, path
from rest_framework.routers import DefaultRouter

from portfolio.api import PilotViewSet

router = DefaultRouter(trailing_slash=True)
router.register("pilots", PilotViewSet, basename="pilot")

urlpatterns = [
    path("", include(router.urls)),
]
