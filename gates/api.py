"""Gate API: live evaluation, review requests, the review queue, decisions and waivers."""

import django_filters
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import rules
from config.api_schema import ERROR_REF
from config.errors import Conflict
from config.parsers import JSONParser
from gates import crosswalk, engine, selectors, services
from gates.checklists import (
    CHECKLISTS,
    Checklist,
    answer_problems,
    overall_score,
    section_scores,
)
from gates.models import Review, ReviewStatus, Waiver
from gates.serializers import (
    ChecklistAnswersSerializer,
    CrosswalkSerializer,
    DecisionInputSerializer,
    ReviewRequestSerializer,
    ReviewSerializer,
    WaiverRevokeSerializer,
    WaiverSerializer,
    decision_request_schema,
)
from gates.services.reviews import ReviewRefused
from portfolio import selectors as pilot_selectors
from portfolio.models import Stage


def refused_response(exc: ReviewRefused) -> Response:
    return Response(
        {
            "message": exc.message,
            "errors": {"criteria": [f"{r.label}: {r.reason}" for r in exc.blocking]},
            "blocking": [r.to_dict() for r in exc.blocking],
        },
        status=status.HTTP_409_CONFLICT,
    )


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    to_stage = django_filters.ChoiceFilter(choices=Stage.choices, label="Stage asked for")

    class Meta:
        model = Review
        fields = ["status", "to_stage"]


class PilotEvaluationView(APIView):
    @extend_schema(
        summary="Live gate evaluation of a pilot",
        description="409 when no gate leads from the pilot's current stage to `to_stage` "
        "(a pilot is evaluated only for the gate into its next stage).",
        parameters=[
            OpenApiParameter(
                "to_stage", str, enum=Stage.values, description="Defaults to the next stage"
            )
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            409: OpenApiResponse(ERROR_REF, description="No gate from the pilot's stage."),
        },
    )
    def get(self, request, pk):
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        wanted = request.query_params.get("to_stage")
        if wanted is not None and wanted not in Stage.values:
            raise ValidationError({"to_stage": f"Choose one of: {', '.join(Stage.values)}."})
        to_stage = wanted or engine.next_stage(pilot.stage)
        if to_stage is None:
            raise Conflict("This pilot is at the last stage; no gate follows.")
        gate = selectors.gate_get(from_stage=pilot.stage, to_stage=to_stage)
        if gate is None or selectors.current_version(gate) is None:
            # The stage is valid; the pilot is not where a gate into it starts.
            raise Conflict(f"No gate leads from {pilot.stage} to {to_stage}.")
        result = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=timezone.now())
        return Response({"pilot": pilot.pk, **result.to_dict()})


class PilotReviewsView(generics.ListAPIView):
    queryset = Review.objects.none()  # for the schema; get_queryset() is the real one
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter

    def get_queryset(self):
        pilot = pilot_selectors.pilot_get(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.review_list(user=self.request.user).filter(pilot=pilot)

    @extend_schema(summary="Reviews of a pilot, oldest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Request a gate review (refused with the failing criteria: 409)",
        request=ReviewRequestSerializer,
        responses={201: ReviewSerializer},
    )
    def post(self, request, pk):
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        data = ReviewRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            review = services.review_request(pilot=pilot, by=request.user, **data.validated_data)
        except ReviewRefused as exc:
            return refused_response(exc)
        review = selectors.review_get(user=request.user, pk=review.pk)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewListView(generics.ListAPIView):
    queryset = Review.objects.none()  # for the schema; get_queryset() is the real one
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter

    @extend_schema(summary="Reviews you may see, oldest request first (the queue: ?status=pending)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.review_list(user=self.request.user)


class ReviewDetailView(generics.RetrieveAPIView):
    serializer_class = ReviewSerializer

    @extend_schema(summary="One review with its frozen evaluation and decisions")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        return selectors.review_get(user=self.request.user, pk=self.kwargs["pk"])


class ReviewDecisionView(APIView):
    @extend_schema(
        summary="Decide a review",
        description="409 when the review is closed already, when conditions are given at "
        "the last gate, or when redesign would not send the pilot back.",
        request={"application/json": decision_request_schema()},
        extensions={"x-body-required": True},
        responses={201: ReviewSerializer},
    )
    def post(self, request, pk):
        review = selectors.review_get(user=request.user, pk=pk)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.review_decide(review=review, by=request.user, **data.validated_data)
        review = selectors.review_get(user=request.user, pk=pk)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewWithdrawView(APIView):
    @extend_schema(summary="Withdraw a pending review (owners)", request=None,
                   responses=ReviewSerializer)  # fmt: skip
    def post(self, request, pk):
        review = selectors.review_get(user=request.user, pk=pk)
        services.review_withdraw(review=review, by=request.user)
        review = selectors.review_get(user=request.user, pk=pk)
        return Response(ReviewSerializer(review).data)


class PilotWaiversView(generics.ListAPIView):
    serializer_class = WaiverSerializer

    @extend_schema(summary="Waivers of a pilot, newest first: active, expired and revoked")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request
            return Waiver.objects.none()
        pilot = pilot_selectors.pilot_get(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.pilot_waivers(pilot=pilot)

    def get_serializer_context(self):
        # One moment for the whole page, so every waiver's state is judged at the same time.
        return {**super().get_serializer_context(), "now": timezone.now()}


class WaiverRevokeView(APIView):
    @extend_schema(
        summary="Revoke an active waiver (governance leads not on the pilot; 409 when it "
        "is no longer active)",
        request=WaiverRevokeSerializer,
        responses=WaiverSerializer,
    )
    def post(self, request, pk):
        waiver = selectors.waiver_get(user=request.user, pk=pk)
        data = WaiverRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.waiver_revoke(waiver=waiver, by=request.user, **data.validated_data)
        waiver = selectors.waiver_get(user=request.user, pk=pk)
        return Response(WaiverSerializer(waiver).data)


# --- scored checklists and the crosswalk ---------------------------------------------


def _checklist_spec(slug: str) -> Checklist:
    spec = CHECKLISTS.get(slug)
    if spec is None:
        raise Http404(f"No checklist {slug!r}; use one of {', '.join(CHECKLISTS)}.")
    return spec


def checklist_payload(pilot, spec: Checklist) -> dict:
    """A pilot's answers to one checklist, scored; for a crosswalk checklist with each
    item's source (its own answer or the mapped item's) and the coverage."""
    every = crosswalk.pilot_answers(pilot)
    own = every.get(spec.slug, {})
    if spec.slug in crosswalk.FRAMEWORKS:
        effective = crosswalk.effective_answers(every, crosswalk.links())[spec.slug]
        cover = crosswalk.coverage(spec.slug, effective)
        coverage = {"direct": cover.direct, "crosswalk": cover.crosswalk, "open": cover.open}
    else:
        effective = {key: crosswalk.Answer(status) for key, status in own.items()}
        coverage = None
    given = {key: answer.status for key, answer in effective.items()}
    scores = section_scores(spec, given)
    items = []
    for section, item in spec.items():
        answer = effective.get(item.key, crosswalk.Answer(""))
        items.append(
            {
                "key": item.key,
                "ref": item.ref,
                "title": item.title,
                "text": item.text,
                "section": section.key,
                "answer": own.get(item.key, ""),
                "effective": answer.status,
                "in_place": spec.points(answer.status) > 0,
                "via": answer.via,
                "via_label": crosswalk.label(answer.via) if answer.via else None,
            }
        )
    return {
        "pilot": pilot.pk,
        "checklist": spec.slug,
        "title": spec.title,
        "source": spec.source,
        "answer_values": [
            {"value": value, "label": label, "points": points}
            for value, label, points in spec.answers
        ],
        "score": overall_score(spec, given),
        "sections": [
            {"key": s.key, "title": s.title, "score": scores[s.key]} for s in spec.sections
        ],
        "items": items,
        "coverage": coverage,
    }


CHECKLIST_PARAM = OpenApiParameter(
    "slug", str, OpenApiParameter.PATH, enum=list(CHECKLISTS), description="Which checklist."
)
CHECKLIST_DOC = (
    "`answers` maps item keys to answer values (see `answer_values` in the response: the "
    'ML Test Score takes "", "manual", "automated"; the NIST AI RMF and ISO/IEC 42001 '
    'take "", "partial", "addressed"). Items not sent keep their answer. A bad item or '
    "value is reported as `answers.<item>` while the valid answers of the same request are "
    "stored. In the response, `effective` is the answer the score and the gates use: for the "
    "NIST AI RMF and ISO/IEC 42001 an item without an answer of its own takes the answer of an "
    "item the crosswalk maps to it (`via`). Only the pilot's business and technical owners "
    "answer, and not while the pilot is stopped."
)


class PilotChecklistView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="A pilot's answers to a scored checklist, with scores and coverage",
        parameters=[CHECKLIST_PARAM],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, pk, slug):
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        return Response(checklist_payload(pilot, _checklist_spec(slug)))

    @extend_schema(
        summary="Answer items of a scored checklist (owners)",
        description=CHECKLIST_DOC,
        parameters=[CHECKLIST_PARAM],
        request=ChecklistAnswersSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def patch(self, request, pk, slug):
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        spec = _checklist_spec(slug)
        rules.ensure(
            rules.can_edit_checklist(request.user, pilot),
            request.user,
            "edit_checklist",
            f"pilot:{pilot.pk}",
        )
        data = ChecklistAnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = data.validated_data["answers"]
        problems = answer_problems(spec, answers, with_values=True)
        good = {key: value for key, value in answers.items() if key not in problems}
        if good:
            services.checklist_answer_set(
                pilot=pilot, checklist=slug, answers=good, by=request.user
            )
        if problems:
            saved = sorted(good)
            note = f" Saved: {', '.join(saved)}." if saved else " Nothing was saved."
            return Response(
                {
                    "message": f"Invalid answers: {', '.join(sorted(problems))}.{note}",
                    "errors": {f"answers.{key}": [text] for key, text in problems.items()},
                    "saved": saved,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(checklist_payload(pilot, spec))


class CrosswalkView(APIView):
    @extend_schema(
        summary="The crosswalk: NIST AI RMF categories, ISO/IEC 42001 controls, EU AI Act keys",
        description="The newest version's links. Each joins a NIST AI RMF category and an "
        "ISO/IEC 42001 Annex A control (item keys of the `nist_ai_rmf` and `iso_42001` "
        "checklists) and the EU AI Act obligation key they serve; one of the three may be "
        "null. An answer to one item counts for the items mapped to it.",
        responses=CrosswalkSerializer,
    )
    def get(self, request):
        links = crosswalk.links()

        def side(slug: str, key: str) -> dict | None:
            if not key:
                return None
            qualified = f"{slug}.{key}"
            return {"key": key, "qualified": qualified, "label": crosswalk.label(qualified)}

        return Response(
            {
                "version": links[0].version if links else None,
                "links": [
                    {
                        "nist": side("nist_ai_rmf", link.nist),
                        "iso": side("iso_42001", link.iso),
                        "aiact": (
                            {"key": link.aiact, "label": crosswalk.label(link.aiact)}
                            if link.aiact
                            else None
                        ),
                    }
                    for link in links
                ],
            }
        )
