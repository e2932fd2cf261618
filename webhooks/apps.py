from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from outbox.services import published
        from webhooks import receivers

        published.connect(receivers.fan_out_on_publish, dispatch_uid="webhooks.fan_out")
