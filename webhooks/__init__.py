"""Signed outbound webhooks: subscriptions to domain events (outbox), delivered by Celery
with retries, per the Standard Webhooks specification."""
