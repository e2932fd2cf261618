from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean only: DRF's own field also takes 0, 1, "yes", "on", ... which the
    schema (type boolean) does not promise, so clients could come to rely on them."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)
