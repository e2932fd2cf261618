from django.utils import timezone
from rest_framework import serializers

from gates.models import Decision, DecisionKind, Review
from portfolio.models import Stage

# What the review service accepts as an evidence link (gates.services.reviews._clean_links).
WEB_ADDRESS = r"^https?://[^\x00-\x20/?#\[\]]+([/?#][^\x00-\x20]*)?$"


class DecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "decided_by",
            "decision",
            "rationale",
            "conditions",
            "scope_note",
            "redesign_to_stage",
            "created_at",
        ]


class ReviewSerializer(serializers.ModelSerializer):
    pilot_name = serializers.CharField(source="pilot.name", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    criteria_version = serializers.IntegerField(source="criteria_version.number", read_only=True)
    age_days = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "pilot",
            "pilot_name",
            "from_stage",
            "to_stage",
            "status",
            "requested_by",
            "requested_at",
            "age_days",
            "closed_at",
            "approvals_needed",
            "approvals",
            "criteria_version",
            "note",
            "evidence_links",
            "evaluation",
            "decisions",
        ]
        read_only_fields = fields

    def get_age_days(self, review) -> int:
        return ((review.closed_at or timezone.now()) - review.requested_at).days

    def get_approvals(self, review) -> int:
        return sum(1 for d in review.decisions.all() if d.decision.startswith("approve"))


class ReviewRequestSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(
        choices=Stage.choices, help_text="The pilot's next stage; any other is a 409."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    evidence_links = serializers.ListField(
        child=serializers.RegexField(WEB_ADDRESS, max_length=2000),
        required=False,
        max_length=20,
    )


class DecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DecisionKind.choices)
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=8000)
    conditions = serializers.ListField(
        child=serializers.CharField(max_length=1000, allow_blank=True),
        required=False,
        max_length=20,
    )
    scope_note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    redesign_to_stage = serializers.ChoiceField(
        choices=Stage.choices, required=False, allow_blank=True
    )
