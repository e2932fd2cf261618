"""Regulation API: a pilot's EU AI Act profile (read, answer, confirm), the obligations
catalogue (read; governance leads edit) and a pilot's obligation coverage."""

import django_filters
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import rules
from config.api_schema import ERROR_REF
from portfolio import selectors as pilot_selectors
from regulation import coverage, selectors, services
from regulation.models import CatalogueVersion, EvidenceKind, Obligation
from regulation.serializers import (
    AnswersSerializer,
    ConfirmSerializer,
    CoverageSerializer,
    ObligationSerializer,
    ProfileSerializer,
)
from regulation.services import GATE_STAGES


class PilotProfileView(APIView):
    @extend_schema(
        summary="The pilot's newest EU AI Act profile (404 before the first answers)",
        responses={200: ProfileSerializer, 404: OpenApiResponse(ERROR_REF)},
    )
    def get(self, request, pk):
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        profile = selectors.current_profile(pilot)
        if profile is None:
            raise Http404("This pilot has no EU AI Act profile yet.")
        return Response(ProfileSerializer(profile).data)

    @extend_schema(
        summary="Answer the profile (the pilot's owners): writes the next version when the "
        "answers change; 400 names contradictory answers, 409 a high-risk result beside a "
        "low risk tier",
        request=AnswersSerializer,
        responses={
            200: ProfileSerializer,
            400: OpenApiResponse(ERROR_REF),
            409: OpenApiResponse(ERROR_REF),
        },
    )
    def put(self, request, pk):
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        # A body that cannot be read (too deep, not JSON) is refused before who may.
        data = AnswersSerializer(data=request.data)
        rules.ensure(
            rules.can_answer_regulatory_profile(request.user, pilot),
            request.user,
            "answer_regulatory_profile",
            f"pilot:{pk}",
        )
        data.is_valid(raise_exception=True)
        profile = services.profile_save(
            pilot=pilot, answers=dict(data.validated_data), by=request.user
        )
        return Response(ProfileSerializer(profile).data)


class PilotProfileConfirmView(APIView):
    @extend_schema(
        summary="Confirm the newest profile version (a governance lead holding no role on "
        "the pilot); 409 when the version is not the newest or already confirmed",
        request=ConfirmSerializer,
        responses={200: ProfileSerializer, 409: OpenApiResponse(ERROR_REF)},
    )
    def post(self, request, pk):
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        data = ConfirmSerializer(data=request.data)  # an unreadable body first, as above
        rules.ensure(
            rules.can_confirm_regulatory_profile(request.user, pilot),
            request.user,
            "confirm_regulatory_profile",
            f"pilot:{pk}",
        )
        data.is_valid(raise_exception=True)
        profile = services.profile_confirm(
            pilot=pilot, version=data.validated_data["version"], by=request.user
        )
        return Response(ProfileSerializer(profile).data)


class PilotCoverageView(APIView):
    @extend_schema(
        summary="The obligations the pilot's profile brings, each met or not on its evidence",
        responses=CoverageSerializer,
    )
    def get(self, request, pk):
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        catalogue = selectors.current_catalogue()
        covered = coverage.pilot_coverage(
            pilot,
            profile=selectors.current_profile(pilot),
            obligations=selectors.catalogue_obligations(catalogue),
            now=timezone.now(),
        )
        covered.catalogue_version = catalogue.number if catalogue else None
        return Response(CoverageSerializer(covered).data)


class ObligationFilter(django_filters.FilterSet):
    gate = django_filters.ChoiceFilter(
        choices=[(s, s) for s in GATE_STAGES], label="Mandatory from the gate into"
    )
    evidence_kind = django_filters.ChoiceFilter(choices=EvidenceKind.choices)

    class Meta:
        model = Obligation
        fields = ["gate", "evidence_kind"]


class ObligationListView(generics.ListAPIView):
    queryset = Obligation.objects.none()  # for the schema; get_queryset() is the real one
    serializer_class = ObligationSerializer
    filterset_class = ObligationFilter

    @extend_schema(summary="The obligations catalogue in force (its newest version)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        newest = CatalogueVersion.objects.order_by("-number").values("pk")[:1]
        return (
            Obligation.objects.filter(catalogue__in=newest)
            .select_related("catalogue")
            .order_by("position", "id")
        )


class ObligationDetailView(APIView):
    @extend_schema(
        summary="Change one obligation (governance leads): writes a new catalogue version",
        request=ObligationSerializer,
        responses={200: ObligationSerializer, 400: OpenApiResponse(ERROR_REF)},
    )
    def patch(self, request, key):
        data = ObligationSerializer(data=request.data, partial=True)  # unreadable body first
        rules.ensure(
            rules.can_edit_obligations(request.user), request.user, "edit_obligations", key
        )
        data.is_valid(raise_exception=True)
        obligation = services.obligation_update(
            key=key, changes=dict(data.validated_data), by=request.user
        )
        return Response(ObligationSerializer(obligation).data)
