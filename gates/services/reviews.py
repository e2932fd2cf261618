"""Gate reviews: request and withdraw (decisions: services/decisions.py; discussion and
follow-ups: services/followups.py).

Race safety: every write to a review first locks its row (`select_for_update`; SQLite
serialises writers anyway) and re-reads its status inside the transaction, then closes it
with a conditional update. Two governance leads deciding at once, or a decision racing a
withdrawal, therefore yield exactly one outcome; the loser gets `Conflict` (HTTP 409).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from gates import engine, selectors
from gates.models import Gate, Review, ReviewKind, ReviewStatus
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.models import STAGE_ORDER, Pilot, Stage, Status
from portfolio.workbooks import evidence
from portfolio.workbooks.services import evidence_store

MAX_EVIDENCE_LINKS = 20
# As many as one request may carry (DATA_UPLOAD_MAX_NUMBER_FILES): the same limit for
# the page and any other caller.
MAX_EVIDENCE_FILES = settings.DATA_UPLOAD_MAX_NUMBER_FILES
EVIDENCE_FILES_FIELD = "evidence_files"

# Sent inside the transaction that closes a review (any outcome), with `review` (status
# set). Layers above gates act on the reviews they opened: inventory applies or drops the
# change a change review was about. A receiver's error rolls the decision back.
review_closed = Signal()


class ReviewRefused(Conflict):
    """The gate's mandatory criteria do not all pass (or hold an unexpired waiver)."""

    def __init__(self, message: str, blocking: Sequence[engine.Result]):
        super().__init__(message)
        self.blocking = tuple(blocking)


def _clean_links(links) -> list[str]:
    if links is None:
        return []
    if isinstance(links, str):
        links = [line for line in links.splitlines()]
    if not isinstance(links, list | tuple):
        raise ValidationError({"evidence_links": "Give a list of links."})
    cleaned = []
    for raw in links:
        link = str(raw).strip()
        if not link:
            continue
        try:
            parsed = urlparse(link)
        except ValueError:  # e.g. an unclosed [ in the host
            parsed = urlparse("")
        if parsed.scheme not in {"http", "https"} or not parsed.netloc or len(link) > 2000:
            raise ValidationError(
                {"evidence_links": f"{link[:80]!r} is not a web address (http:// or https://)."}
            )
        cleaned.append(link)
    if len(cleaned) > MAX_EVIDENCE_LINKS:
        raise ValidationError(
            {"evidence_links": f"Give at most {MAX_EVIDENCE_LINKS} evidence links."}
        )
    return cleaned


def _check_uploads(uploads) -> list:
    """Every upload checked before any is stored, so a refused one leaves no file behind."""
    uploads = [u for u in (uploads or []) if u]
    if len(uploads) > MAX_EVIDENCE_FILES:
        raise ValidationError(
            {EVIDENCE_FILES_FIELD: f"Attach at most {MAX_EVIDENCE_FILES} files to one review."}
        )
    for upload in uploads:
        evidence.check_upload(upload, EVIDENCE_FILES_FIELD)
    return uploads


def review_request(
    *, pilot: Pilot, to_stage: str, by, note: str = "", evidence_links=None,
    evidence_uploads=None, now=None, kind: str = ReviewKind.GATE,
) -> Review:  # fmt: skip
    """Ask for a review of `pilot` into `to_stage` (its next stage).

    Refused (`ReviewRefused`, 409) while a mandatory criterion fails without an
    unexpired waiver; the exception lists them. `evidence_uploads` are files checked and
    stored like workbook evidence (size limit, type allow-list), attached to the review.
    The refusal is recorded (outside the request's own transaction, which rolls back) so
    pages stop offering the same request until something it was refused for changes
    (gates.offer).
    """
    try:
        return _review_request(
            pilot=pilot, to_stage=to_stage, by=by, note=note, evidence_links=evidence_links,
            evidence_uploads=evidence_uploads, now=now, kind=kind,
        )  # fmt: skip
    except ReviewRefused as exc:
        _refusal_record(pilot=pilot, to_stage=to_stage, by=by, blocking=exc.blocking)
        raise


@transaction.atomic
def _refusal_record(*, pilot: Pilot, to_stage: str, by, blocking) -> None:
    from gates.offer import REFUSED_ACTION, fingerprint

    audit_record(
        actor=by,
        action=REFUSED_ACTION,
        obj=pilot,
        pilot_id=pilot.pk,
        after={
            "to_stage": to_stage,
            "blocking": [r.criterion_key for r in blocking],
            "fingerprint": fingerprint(blocking),
        },
    )


@transaction.atomic
def _review_request(
    *, pilot: Pilot, to_stage: str, by, note: str = "", evidence_links=None,
    evidence_uploads=None, now=None, kind: str = ReviewKind.GATE,
) -> Review:  # fmt: skip
    now = now or timezone.now()
    rules.ensure_visible(by, pilot)
    # Who (403), then the input (400), then the pilot's state (409).
    rules.ensure(
        rules.requests_reviews_of(by, pilot), by, "request_review", f"pilot:{pilot.pk}",
        "Only the pilot's business or technical owner can request a review.",
    )  # fmt: skip
    # The input (400) before the pilot's state (409): a bad request says what is wrong
    # with it whatever the pilot is doing.
    if to_stage not in STAGE_ORDER:
        raise ValidationError({"to_stage": f"Unknown stage {to_stage!r}."})
    if kind not in (ReviewKind.GATE, ReviewKind.RECERTIFICATION):
        raise ValidationError({"kind": f"Unknown kind of review {kind!r}."})
    note = (note or "").strip()
    if len(note) > 4000:
        raise ValidationError({"note": "Keep the note to 4,000 characters or fewer."})
    links = _clean_links(evidence_links)
    uploads = _check_uploads(evidence_uploads)
    # Lock the pilot: its stage must not move, and no second request slip in, meanwhile.
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    if pilot.status == Status.STOPPED:
        raise Conflict("This pilot is stopped; it can have no further reviews.")
    if pilot.status == Status.ON_HOLD:
        raise Conflict("This pilot is on hold; a governance lead must resume it first.")
    gate = _gate_for(pilot, to_stage, kind)
    if Review.objects.filter(pilot=pilot, status=ReviewStatus.PENDING).exists():
        raise Conflict("This pilot already has a pending review; withdraw it or wait.")
    live = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=now)
    if not live.evaluation.passed:
        blocking = live.evaluation.blocking
        raise ReviewRefused(
            f"{len(blocking)} mandatory criteria do not pass yet: "
            + "; ".join(f"{r.label} ({r.reason})" for r in blocking),
            blocking,
        )
    try:
        with transaction.atomic():
            review = Review.objects.create(
                pilot=pilot,
                kind=kind,
                from_stage=pilot.stage,
                to_stage=to_stage,
                criteria_version=live.version,
                evaluation=live.to_dict(),
                approvals_needed=gate.approvals_needed(pilot.risk_tier),
                note=note,
                evidence_links=links,
                requested_by=by,
                requested_at=now,
            )
    except IntegrityError as exc:
        raise Conflict("This pilot already has a pending review; withdraw it or wait.") from exc
    files = [
        evidence_store(pilot=pilot, upload=upload, by=by, field=EVIDENCE_FILES_FIELD)
        for upload in uploads
    ]
    review.evidence_files.add(*files)
    audit_record(
        actor=by,
        action="review.request",
        obj=review,
        pilot_id=pilot.pk,
        after={
            "kind": review.kind,
            "from_stage": review.from_stage,
            "to_stage": review.to_stage,
            "criteria_version": live.version.number,
            "approvals_needed": review.approvals_needed,
            "waived": [r.criterion_key for r in live.evaluation.results if r.waived],
            "evidence_files": [{"id": f.pk, "name": f.name, "size": f.size} for f in files],
        },
    )
    publish(
        EventType.REVIEW_REQUESTED, pilot=pilot, actor=by, now=now,
        payload={"review_id": review.pk, "kind": review.kind, "from_stage": review.from_stage,
                 "to_stage": review.to_stage, "requested_by": by.get_username()},
    )  # fmt: skip
    return review


def _gate_for(pilot: Pilot, to_stage: str, kind: str) -> Gate:
    """The gate whose criteria the review is evaluated against (a conflict with the pilot's
    state when there is none). A gate review moves the pilot to its next stage; a
    recertification keeps a pilot at scale and is evaluated against the gate into scale."""
    if kind == ReviewKind.RECERTIFICATION:
        if pilot.stage != Stage.SCALE:
            raise Conflict("Only a pilot at scale is recertified; this one is not at scale yet.")
        if to_stage != Stage.SCALE:
            raise Conflict("A recertification keeps the pilot at scale: ask for scale.")
        from_stage = STAGE_ORDER[STAGE_ORDER.index(Stage.SCALE) - 1]
    else:
        # A known stage the pilot is not next to is a conflict with its state, not bad input.
        following = engine.next_stage(pilot.stage)
        if following is None:
            raise Conflict("This pilot is at the last stage already.")
        if to_stage != following:
            raise Conflict(f"A pilot in {pilot.stage} can only be reviewed for {following}.")
        from_stage = pilot.stage
    gate = selectors.gate_get(from_stage=from_stage, to_stage=to_stage)
    if gate is None:
        raise Conflict(f"No gate is defined from {from_stage} to {to_stage}.")
    return gate


def lock_pending_review(review: Review) -> Review:
    locked = Review.objects.select_for_update().select_related("pilot").get(pk=review.pk)
    if locked.status != ReviewStatus.PENDING:
        raise Conflict(
            f"This review is already closed ({locked.get_status_display().lower()}); "
            "reload to see the outcome."
        )
    return locked


def _close(review: Review, status: str, now) -> None:
    closed = Review.objects.filter(pk=review.pk, status=ReviewStatus.PENDING).update(
        status=status, closed_at=now
    )
    if closed != 1:
        raise Conflict("This review was closed by someone else a moment ago; reload.")
    review.status, review.closed_at = status, now
    review_closed.send(sender=Review, review=review)


@transaction.atomic
def review_withdraw(*, review: Review, by, now=None) -> Review:
    """The requester or an owner takes back a pending review."""
    now = now or timezone.now()
    rules.ensure_visible(by, review.pilot)
    rules.ensure(
        rules.can_withdraw_review(by, review), by, "withdraw_review", f"review:{review.pk}",
        "Only the pilot's owners can withdraw its review.",
    )  # fmt: skip
    review = lock_pending_review(review)
    _close(review, ReviewStatus.WITHDRAWN, now)
    audit_record(
        actor=by,
        action="review.withdraw",
        obj=review,
        pilot_id=review.pilot_id,
        before={"status": ReviewStatus.PENDING},
        after={"status": ReviewStatus.WITHDRAWN},
    )
    return review
