import logging

from celery import shared_task

from accounts.audit import audit_verify

logger = logging.getLogger(__name__)


@shared_task(name="accounts.audit_verify", acks_late=True, time_limit=3600)
def audit_verify_task() -> dict:
    """Nightly check of the audit chain; a broken chain is logged as an error."""
    result = audit_verify()
    if result.ok:
        logger.info("audit chain intact: %s events", result.checked)
    else:
        logger.error("audit chain broken at event %s: %s", result.broken_id, result.problem)
    return {"ok": result.ok, "checked": result.checked, "broken_id": result.broken_id}
