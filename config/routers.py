from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    """DRF's router, with numeric ids by default.

    DRF matches `[^/.]+` for a lookup, so `/api/pilots/abc/` or an id past the range of a
    bigint reached the ORM and failed there (500). Ids are bigints: at most 18 digits
    here, anything else is simply not a URL of the API (404).
    """

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None:
            viewset.lookup_value_regex = "[0-9]{1,18}"
        return super().get_lookup_regex(viewset, lookup_prefix)
