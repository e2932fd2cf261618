import pytest
from django.utils import timezone

from gates import demo as gates_demo
from gates.models import Review, ReviewStatus, Waiver
from portfolio import demo

pytestmark = pytest.mark.django_db


def test_demo_has_pending_and_every_decision_kind_and_is_idempotent(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    context = demo.seed()
    gates_demo.seed(context)
    statuses = set(Review.objects.values_list("status", flat=True))
    assert statuses == set(ReviewStatus.values)
    pending_high = Review.objects.get(status="pending", pilot__risk_tier="high")
    assert pending_high.decisions.count() == 1 and pending_high.approvals_needed == 2
    assert Waiver.objects.filter(expires_at__gt=timezone.now()).exists()
    assert Waiver.objects.filter(expires_at__lte=timezone.now()).exists()


def test_demo_waivers_are_a_handful_telling_one_story(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    gates_demo.seed(demo.seed())
    now = timezone.now()
    states = sorted(w.state_at(now) for w in Waiver.objects.all())
    assert 3 <= len(states) <= 5, states
    assert {"active", "expired", "revoked"} == set(states)
    revoked = Waiver.objects.get(revoked_at__isnull=False)
    assert revoked.revoked_by.username == "gus" and revoked.revoke_reason
    # The revoked waiver belongs to the pilot the review sent back to redesign.
    assert revoked.pilot.reviews.get().status == ReviewStatus.REDESIGN
    counts = (Review.objects.count(), Waiver.objects.count())
    gates_demo.seed(demo.seed())
    assert (Review.objects.count(), Waiver.objects.count()) == counts
