"""Celery tasks of the webhooks app: one task per delivery attempt, and the sweeper."""

from celery import shared_task

from webhooks import services


@shared_task(name="webhooks.deliver", acks_late=True, time_limit=60, soft_time_limit=45)
def deliver(delivery_id: int) -> str:
    """One attempt of one delivery (a no-op unless it is due and not taken)."""
    return services.delivery_attempt(delivery_id)


@shared_task(name="webhooks.sweep", acks_late=True, time_limit=120)
def sweep() -> dict:
    return services.sweep()
