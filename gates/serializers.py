from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api_schema import NO_NUL, NON_BLANK
from config.fields import StrictCharField
from gates.checklists import CHECKLISTS
from gates.models import Decision, DecisionKind, Review, Waiver, WaiverState
from gates.services.waivers import MAX_REVOKE_REASON
from portfolio.models import Stage

# One request answers at most every item of the longest checklist.
MAX_ANSWERS = 100

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
    note = StrictCharField(required=False, allow_blank=True, max_length=4000)
    evidence_links = serializers.ListField(
        child=serializers.RegexField(WEB_ADDRESS, max_length=2000, trim_whitespace=False),
        required=False,
        max_length=20,
    )


class NonBlankText(StrictCharField):
    """Text with something in it besides spaces, its length counted as sent."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if not text.strip():
            self.fail("blank")
        return text


# What each decision takes besides `decision`; anything else is refused (400), even empty.
DECISION_FIELDS: dict[str, tuple[str, ...]] = {
    DecisionKind.APPROVE: ("rationale",),
    DecisionKind.APPROVE_WITH_CONDITIONS: ("rationale", "conditions"),
    DecisionKind.REJECT: ("rationale",),
    DecisionKind.HOLD: ("rationale",),
    DecisionKind.STOP: ("rationale",),
    DecisionKind.REDESIGN: ("rationale", "scope_note", "redesign_to_stage"),
}


class DecisionInputSerializer(serializers.Serializer):
    """One decision. Input rules are in the schema (one variant per decision); rules that
    depend on the review's stages (conditions need a next gate; redesign goes back) are
    conflicts, 409."""

    decision = serializers.ChoiceField(choices=DecisionKind.choices)
    rationale = StrictCharField(
        required=False, allow_blank=True, max_length=8000, trim_whitespace=False
    )
    conditions = serializers.ListField(
        child=NonBlankText(max_length=1000), required=False, min_length=1, max_length=20
    )
    scope_note = NonBlankText(required=False, max_length=4000)
    redesign_to_stage = serializers.ChoiceField(choices=Stage.choices, required=False)

    def validate(self, attrs):
        allowed = {"decision", *DECISION_FIELDS[attrs["decision"]]}
        extra = sorted(set(self.initial_data) - allowed)
        if extra:
            message = f"Not part of a {attrs['decision']!r} decision."
            raise serializers.ValidationError({name: [message] for name in extra})
        return attrs


def _text(max_length: int, required_text: bool) -> dict:
    pattern = NON_BLANK if required_text else NO_NUL
    return {"type": "string", "maxLength": max_length, "pattern": pattern}


def decision_request_schema() -> dict:
    """One variant per decision, with exactly the fields it takes."""
    conditions = {
        "type": "array",
        "minItems": 1,
        "maxItems": 20,
        "items": _text(1000, True),
        "description": "Become mandatory criteria of the next gate.",
    }
    stage = {"type": "string", "enum": Stage.values, "description": "Defaults to the stage "
             "before the review's; it must be before it."}  # fmt: skip
    variants = [
        ([DecisionKind.APPROVE], {"rationale": _text(8000, False)}, []),
        (
            [DecisionKind.APPROVE_WITH_CONDITIONS],
            {"rationale": _text(8000, True), "conditions": conditions},
            ["rationale", "conditions"],
        ),
        (
            [DecisionKind.REJECT, DecisionKind.HOLD, DecisionKind.STOP],
            {"rationale": _text(8000, True)},
            ["rationale"],
        ),
        (
            [DecisionKind.REDESIGN],
            {
                "rationale": _text(8000, True),
                "scope_note": _text(4000, True),
                "redesign_to_stage": stage,
            },
            ["rationale", "scope_note"],
        ),
    ]
    return {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "decision": {"type": "string", "enum": [str(k) for k in kinds]},
                    **fields,
                },
                "required": ["decision", *required],
                "additionalProperties": False,
            }
            for kinds, fields, required in variants
        ]
    }


class WaiverSerializer(serializers.ModelSerializer):
    granted_by = serializers.CharField(source="granted_by.username", read_only=True)
    revoked_by = serializers.CharField(
        source="revoked_by.username", read_only=True, allow_null=True
    )
    state = serializers.SerializerMethodField()

    class Meta:
        model = Waiver
        fields = [
            "id",
            "pilot",
            "criterion_key",
            "justification",
            "expires_at",
            "granted_by",
            "granted_at",
            "state",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=WaiverState.choices))
    def get_state(self, waiver) -> str:
        now = self.context.get("now") or timezone.now()
        return waiver.state_at(now)


class WaiverRevokeSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=MAX_REVOKE_REASON)


ANSWER_VALUES = sorted({value for c in CHECKLISTS.values() for value, _, _ in c.answers})


@extend_schema_field(
    {
        "type": "object",
        "description": "Item key -> answer value. Which items and values a checklist takes "
        "depends on the checklist (see `answer_values` and `items` in the GET response).",
        "additionalProperties": {"type": "string", "enum": ANSWER_VALUES, "pattern": NO_NUL},
        "maxProperties": MAX_ANSWERS,
    }
)
class AnswersField(serializers.DictField):
    """The values are checked item by item by the view, so that a bad one is named and the
    good ones are still stored."""

    child = serializers.JSONField()

    def to_internal_value(self, data):
        answers = super().to_internal_value(data)
        if len(answers) > MAX_ANSWERS:
            raise serializers.ValidationError(f"At most {MAX_ANSWERS} answers at a time.")
        return answers


class ChecklistAnswersSerializer(serializers.Serializer):
    answers = AnswersField()


class _CrosswalkItemSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The item's key in its checklist")
    qualified = serializers.CharField(help_text="checklist.item, as mapped() takes it")
    label = serializers.CharField()


class _CrosswalkObligationSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="An EU AI Act obligation key, e.g. aiact.art14_...")
    label = serializers.CharField()


class _CrosswalkLinkSerializer(serializers.Serializer):
    nist = _CrosswalkItemSerializer(allow_null=True)
    iso = _CrosswalkItemSerializer(allow_null=True)
    aiact = _CrosswalkObligationSerializer(allow_null=True)


class CrosswalkSerializer(serializers.Serializer):
    version = serializers.IntegerField(allow_null=True)
    links = _CrosswalkLinkSerializer(many=True)
