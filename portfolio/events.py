"""Events the apps announce to the layers above them, which they must not import.

Django signals, sent synchronously; a receiver schedules its own work (on commit). The
dashboard listens (dashboard.rebuilds): its portfolio aggregates are grouped by pilot
columns and sum rollups and economic cases.
"""

from django.dispatch import Signal

# A pilot's business unit, risk tier or confidential flag changed; sent inside the
# writer's transaction with `confidentiality` (whether the confidential flag changed).
pilot_grouping_changed = Signal()

# The data the portfolio aggregates are built from changed (rollups, a pilot's stage or
# status, an economic case). Sent after commit. `immediate=True` (demo data) rebuilds now,
# if the aggregates were ever built, instead of asking for a rebuild soon.
aggregates_stale = Signal()
