"""The count next to "My work" in the navigation, computed once per request and only when
a page shows it (a fixed number of queries: one for an owner, a few more for a lead)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.functional import cached_property

from dashboard.mywork import selectors


class MyWorkCount:
    def __init__(self, request):
        self.user = request.user

    @cached_property
    def total(self) -> int:
        if not self.user.is_authenticated:
            return 0
        now = timezone.now()
        return selectors.owner_count(user=self.user, now=now) + selectors.lead_count(
            user=self.user, now=now
        )


def my_work(request):
    counts = getattr(request, "_my_work_count", None)
    if counts is None:
        counts = request._my_work_count = MyWorkCount(request)
    return {"my_work": counts}
