"""Every write of the inventory app."""

from inventory.services.assets import asset_save, prompt_create, prompt_version_add
from inventory.services.changes import change_request, change_rule_set
from inventory.services.eol import end_of_life_alerts_open

__all__ = [
    "asset_save",
    "change_request",
    "change_rule_set",
    "end_of_life_alerts_open",
    "prompt_create",
    "prompt_version_add",
]
