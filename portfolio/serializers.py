from django.db import models
from rest_framework import serializers

from accounts.models import PilotRoleKind
from config.fields import StrictBooleanField, StrictCharField
from portfolio.models import Pilot


class PilotSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }
    owners = serializers.SerializerMethodField(
        help_text="Per-pilot roles: role -> username (or null)."
    )

    class Meta:
        model = Pilot
        fields = [
            "id",
            "name",
            "summary",
            "business_unit",
            "stage",
            "status",
            "risk_tier",
            "confidential",
            "owners",
            "stage_entered_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["stage", "status", "stage_entered_at", "created_at", "updated_at"]
        extra_kwargs = {
            "business_unit": {
                "help_text": "The business unit's name, from the managed list of business "
                "units (admin-editable). Case and extra spaces do not matter; the answer "
                "gives the name as listed. A name not on the list, or of a unit no longer "
                "in use, is refused with 400."
            }
        }

    def get_owners(self, pilot) -> dict[str, str | None]:
        holders = {role.role: role.user.get_username() for role in pilot.roles.all()}

        return {kind.value: holders.get(kind.value) for kind in PilotRoleKind}
