"""Domain events: what happened, written in the writer's own transaction.

A transactional outbox. `publish` stores the event beside the change that caused it, so an
event exists if and only if its change committed. The integrations above (webhooks,
notifications, digests) read the table; they never import the apps that publish.
"""
