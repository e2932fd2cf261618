"""Every write about pull sources, one module per job:

- `sources`: a source's configuration (create, change, disconnect, "pull now");
- `run`: one pull (fetch, ingest, the run's record, the source's health) and run pruning;
- `dispatch`: the beat's claim of due sources and the queueing of their pulls;
- `uploads`: a CSV file of metric values.

The secret header value of a source is write-only. It is read in exactly one place,
`run._fetch`, to build the outbound request; audit events record only whether a secret is
set, error texts come from the connectors' safe messages, and nothing here logs it.

Pulls are idempotent: snapshots carry `source = "pull:<id>"`, so the ingest service's
unique key (pilot, metric, observed_at, source) stores a re-pulled point once. That is
what makes redelivery after a worker crash, retries and overlapping backfills safe.
"""

from metrics.pulls.dispatch import FANOUT_CHUNK, enqueue_pulls, publish_pulls, sources_dispatch_due
from metrics.pulls.run import PullReport, pull_runs_prune, source_pull
from metrics.pulls.sources import source_create, source_delete, source_pull_request, source_update
from metrics.pulls.uploads import csv_import

__all__ = [
    "FANOUT_CHUNK",
    "PullReport",
    "csv_import",
    "enqueue_pulls",
    "publish_pulls",
    "pull_runs_prune",
    "source_create",
    "source_delete",
    "source_pull",
    "source_pull_request",
    "source_update",
    "sources_dispatch_due",
]
