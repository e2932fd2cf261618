"""API shapes of the profile, the catalogue and coverage; the input checks their shape only,
the service (regulation.classify) judges what the answers mean together."""

from rest_framework import serializers

from config.fields import StrictCharField
from regulation.models import EvidenceKind, Obligation, Profile
from regulation.questions import (
    AREAS,
    CLASSIFICATIONS,
    DUTIES,
    EXCEPTION_GROUNDS,
    FLAGS,
    GPAI,
    NONE,
    PRACTICES,
    ROLES,
)
from regulation.services import GATE_STAGES

YES_NO = ["yes", "no"]


def _many(choices, *, none=True, help_text=""):
    values = [*choices, NONE] if none else list(choices)
    return serializers.ListField(
        child=serializers.ChoiceField(choices=values),
        required=False,
        max_length=len(values),
        help_text=help_text,
    )


def _yes_no(help_text):
    return serializers.ChoiceField(choices=YES_NO, required=False, help_text=help_text)


class AnswersSerializer(serializers.Serializer):
    prohibited_practices = _many(
        PRACTICES, help_text='Art. 5(1): the practices that apply, or ["none"].'
    )
    annex_i_product = _yes_no("Art. 6(1), Annex I: a product under EU product-safety law.")
    annex_iii_areas = _many(AREAS, help_text='Art. 6(2), Annex III: the areas of use, or ["none"].')
    exception_claimed = _yes_no("Art. 6(3): the exception is claimed.")
    exception_grounds = _many(EXCEPTION_GROUNDS, none=False, help_text="Art. 6(3)(a)-(d).")
    exception_justification = StrictCharField(
        required=False, allow_blank=True, max_length=4000, help_text="Art. 6(4): in writing."
    )
    profiles_persons = _yes_no("Art. 6(3): the system profiles natural persons.")
    transparency = _many(DUTIES, help_text='Art. 50(1)-(4): the duties that apply, or ["none"].')
    gpai = serializers.ChoiceField(choices=list(GPAI), required=False, help_text="Art. 53.")
    develops = _yes_no("Art. 3(3): provider.")
    rebrands = _yes_no("Art. 25(1): becomes the provider.")
    uses = _yes_no("Art. 3(4): deployer.")
    imports = _yes_no("Art. 3(6): importer.")
    distributes = _yes_no("Art. 3(7): distributor.")
    public_service = _yes_no("Art. 27(1): public body or public service.")

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: "Not a question of the profile." for name in unknown}
            )
        return attrs


class ConclusionSerializer(serializers.Serializer):
    topic = serializers.CharField()
    text = serializers.CharField()
    articles = serializers.ListField(child=serializers.CharField())


class ProfileSerializer(serializers.ModelSerializer):
    answers = AnswersSerializer()
    classification = serializers.ChoiceField(choices=list(CLASSIFICATIONS))
    roles = serializers.ListField(child=serializers.ChoiceField(choices=list(ROLES)))
    flags = serializers.ListField(child=serializers.ChoiceField(choices=list(FLAGS)))
    conclusions = ConclusionSerializer(many=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)
    confirmed_by = serializers.CharField(
        source="confirmed_by.username", read_only=True, default=None
    )
    confirmed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Profile
        fields = [
            "version",
            "answers",
            "classification",
            "roles",
            "flags",
            "conclusions",
            "created_by",
            "created_at",
            "confirmed",
            "confirmed_by",
            "confirmed_at",
        ]
        read_only_fields = fields


class ConfirmSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class ObligationSerializer(serializers.ModelSerializer):
    catalogue_version = serializers.IntegerField(source="catalogue.number", read_only=True)
    classifications = serializers.ListField(
        child=serializers.ChoiceField(choices=list(CLASSIFICATIONS)[1:]), min_length=1, max_length=3
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=list(ROLES)), min_length=1, max_length=4
    )
    requires_flag = serializers.ChoiceField(choices=["", *FLAGS], required=False)
    evidence_kind = serializers.ChoiceField(choices=EvidenceKind.values, required=False)
    gate = serializers.ChoiceField(choices=list(GATE_STAGES), required=False)
    article = StrictCharField(max_length=64, required=False)
    title = StrictCharField(max_length=120, required=False)
    summary = StrictCharField(max_length=4000, required=False)
    evidence_source = StrictCharField(max_length=64, required=False, allow_blank=True)
    evidence_name = StrictCharField(max_length=64, required=False, allow_blank=True)

    class Meta:
        model = Obligation
        fields = [
            "key",
            "catalogue_version",
            "article",
            "title",
            "summary",
            "classifications",
            "roles",
            "requires_flag",
            "evidence_kind",
            "evidence_source",
            "evidence_name",
            "gate",
            "applies_from",
        ]
        read_only_fields = ["key", "catalogue_version"]


class CoverageRowSerializer(serializers.Serializer):
    key = serializers.CharField(source="obligation.key")
    article = serializers.CharField(source="obligation.article")
    title = serializers.CharField(source="obligation.title")
    evidence = serializers.CharField()
    gate = serializers.CharField(source="obligation.gate")
    applies_from = serializers.DateField(source="obligation.applies_from")
    status = serializers.CharField(source="result.status")
    waived = serializers.BooleanField(source="result.waived")
    met = serializers.BooleanField()
    reason = serializers.CharField(source="result.reason")


class CoverageSerializer(serializers.Serializer):
    pilot = serializers.IntegerField(source="pilot.pk")
    catalogue_version = serializers.IntegerField(allow_null=True)
    profile_version = serializers.IntegerField(
        source="profile.version", allow_null=True, default=None
    )
    classification = serializers.CharField(
        source="profile.classification", allow_null=True, default=None
    )
    met = serializers.IntegerField()
    total = serializers.IntegerField()
    obligations = CoverageRowSerializer(source="rows", many=True)
