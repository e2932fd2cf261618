from django.db import models
from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean only: DRF's own field also takes 0, 1, "yes", "on", ... which the
    schema (type boolean) does not promise, so clients could come to rely on them."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictCharField(serializers.CharField):
    """Text only: DRF's own field turns 0 or true into "0"/"True", which the schema (type
    string) does not promise."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugRelatedField(serializers.SlugRelatedField):
    """A slug or null: DRF's own field reads an empty string as null, which the schema
    (a non-empty string, or null) does not promise."""

    def run_validation(self, data=serializers.empty):
        if data == "":
            self.fail("invalid")
        return super().run_validation(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """Model fields as the schema says they are: text is a JSON string, a flag a JSON
    boolean (no coercion of 0, 1, "yes" or true into text or flags)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }
