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
