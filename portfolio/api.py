from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from portfolio import selectors, services
from portfolio.filters import PilotFilter
from portfolio.serializers import PilotSerializer


@extend_schema_view(
    list=extend_schema(summary="List the pilots you may see"),
    create=extend_schema(summary="Register a pilot (you become its business owner)"),
    retrieve=extend_schema(summary="One pilot"),
    partial_update=extend_schema(summary="Change a pilot's basic fields"),
)
class PilotViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PilotSerializer
    filterset_class = PilotFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.pilot_list(user=self.request.user)

    def get_object(self):
        return selectors.pilot_get(user=self.request.user, pk=self.kwargs["pk"])

    def perform_create(self, serializer):
        serializer.instance = services.pilot_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.pilot_update(
            pilot=serializer.instance, by=self.request.user, **serializer.validated_data
        )
        # Re-read with roles for the response.
        serializer.instance = selectors.pilot_get(user=self.request.user, pk=serializer.instance.pk)
