from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = "Notifications: email, digests, Slack and Teams"

    def ready(self):
        from notify import handlers, tasks  # noqa: F401  (the receiver; tasks by name)
