from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from config.fields import StrictCharField, StrictModelSerializer, StrictSlugRelatedField
from inventory.models import (
    AIModel,
    AssetKind,
    ChangeRequest,
    Dataset,
    PilotAsset,
    Prompt,
    PromptVersion,
    Vendor,
)
from inventory.services.assets import EDITABLE

_READ_ONLY = ("id", "created_at", "updated_at")


class VendorSerializer(StrictModelSerializer):
    class Meta:
        model = Vendor
        fields = (*_READ_ONLY, *EDITABLE[AssetKind.VENDOR])
        read_only_fields = _READ_ONLY


class AIModelSerializer(StrictModelSerializer):
    vendor = serializers.PrimaryKeyRelatedField(
        queryset=Vendor.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = AIModel
        fields = (*_READ_ONLY, *EDITABLE[AssetKind.MODEL])
        read_only_fields = _READ_ONLY


class DatasetSerializer(StrictModelSerializer):
    owner = StrictSlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True),
        allow_null=True, required=False,
    )  # fmt: skip

    class Meta:
        model = Dataset
        fields = (*_READ_ONLY, *EDITABLE[AssetKind.DATASET])
        read_only_fields = _READ_ONLY


class PromptVersionSerializer(StrictModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = PromptVersion
        fields = ("id", "number", "content", "content_hash", "author", "created_at")
        read_only_fields = ("id", "number", "content_hash", "author", "created_at")


class PromptSerializer(StrictModelSerializer):
    versions = PromptVersionSerializer(many=True, read_only=True)
    content = StrictCharField(
        write_only=True, required=False, max_length=100_000,
        help_text="The first version's text (on create only).",
    )  # fmt: skip

    class Meta:
        model = Prompt
        fields = (*_READ_ONLY, *EDITABLE[AssetKind.PROMPT], "content", "versions")
        read_only_fields = _READ_ONLY


class PromptVersionInputSerializer(serializers.Serializer):
    content = StrictCharField(max_length=100_000, trim_whitespace=False)


class PilotAssetSerializer(StrictModelSerializer):
    asset_id = serializers.SerializerMethodField()
    asset = serializers.SerializerMethodField()

    class Meta:
        model = PilotAsset
        fields = ("id", "kind", "asset_id", "asset", "purpose", "linked_at")

    def get_asset_id(self, link) -> int:
        return link.asset.pk

    def get_asset(self, link) -> str:
        return str(link.asset)


class ChangeInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssetKind.choices)
    to = serializers.IntegerField(
        required=False, allow_null=True, min_value=1,
        help_text="The id of the asset the pilot uses now (a prompt: a prompt version's "
        "id). Omit or null to remove `link`.",
    )  # fmt: skip
    link = serializers.IntegerField(
        required=False, allow_null=True, min_value=1,
        help_text="The id of the pilot's link this replaces or removes; omit to add one.",
    )  # fmt: skip
    purpose = StrictCharField(required=False, allow_blank=True, max_length=300)
    note = StrictCharField(required=False, allow_blank=True, max_length=4000)
    external_id = StrictCharField(
        required=False, allow_null=True, max_length=200,
        help_text="The pipeline's id of this deployment: sending it again returns the first "
        "result (200) instead of a second change.",
    )  # fmt: skip


class ChangeRequestSerializer(StrictModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)

    class Meta:
        model = ChangeRequest
        fields = (
            "id", "pilot", "kind", "link", "from_id", "to_id", "from_label", "to_label",
            "purpose", "aspects", "classification", "stage", "status", "source",
            "external_id", "note", "review", "requested_by", "requested_at", "applied_at",
        )  # fmt: skip
        read_only_fields = fields
