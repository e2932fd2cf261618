from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Page-number pagination; clients may ask for smaller or larger pages, up to a cap."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
