import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Page-number pagination; clients may ask for smaller or larger pages, up to a cap.

    A `page_size` that is not a positive whole number is refused (400) rather than
    silently replaced by the default, so a client learns about its mistake.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]+", raw) or int(raw) < 1:
            raise ValidationError({"page_size": ["Give a whole number of at least 1."]})
        return min(int(raw), self.max_page_size)  # larger asks get the largest page

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        # DRF reads an empty page as the first; the schema says a whole number.
        if not re.fullmatch(r"[0-9]+", raw) or int(raw) < 1:
            raise ValidationError({"page": ["Give a whole number of at least 1."]})
        return raw  # past the last page: 404 from DRF

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in ("page", "page_size"):
                parameter["schema"]["minimum"] = 1
            if parameter["name"] == "page_size":
                parameter["description"] = (
                    f"Results per page (default {self.page_size}, at most {self.max_page_size})."
                )
        return parameters
