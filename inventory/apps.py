from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory and change control"

    def ready(self) -> None:
        # A change review closing (gates) applies or drops its change request here:
        # gates sits below inventory and cannot call it directly.
        from gates.services.reviews import review_closed
        from inventory.services import changes

        review_closed.connect(changes.on_review_closed, dispatch_uid="inventory-change-review")
