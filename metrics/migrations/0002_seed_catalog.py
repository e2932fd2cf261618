from django.db import migrations

# key, name, unit, direction, dimension, min, max
CATALOG = [
    ("hallucination_rate", "Hallucination rate", "%", "lower", "reliability", 0, 100),
    ("error_rate", "Error rate", "%", "lower", "reliability", 0, 100),
    ("tool_call_success_rate", "Tool-call success rate", "%", "higher", "reliability", 0, 100),
    ("drift_score", "Drift score", "score", "lower", "reliability", 0, None),
    ("rollback_mttr_minutes", "Mean time to roll back", "min", "lower", "reliability", 0, None),
    ("uptime_pct", "Uptime", "%", "higher", "reliability", 0, 100),
    ("p95_latency_ms", "95th percentile latency", "ms", "lower", "reliability", 0, None),
    ("exception_volume", "Exceptions", "count", "lower", "reliability", 0, None),
    ("human_escalation_rate", "Human escalation rate", "%", "lower", "reliability", 0, 100),
    ("workflow_minutes_saved", "Workflow minutes saved", "min", "higher", "value", 0, None),
    ("outcome_quality", "Outcome quality (CSAT, resolution or conversion)", "%", "higher", "value", 0, 100),
    ("adoption_rate", "Adoption rate", "%", "higher", "value", 0, 100),
    ("bypass_rate", "Bypass rate", "%", "lower", "value", 0, 100),
    ("realized_benefit", "Realized benefit", "USD", "higher", "value", None, None),
    ("cost_per_transaction", "Cost per transaction", "USD", "lower", "cost", 0, None),
    ("monthly_run_cost", "Monthly run cost", "USD", "lower", "cost", 0, None),
    ("human_review_minutes", "Human review minutes", "min", "lower", "cost", 0, None),
    ("support_tickets", "Support tickets", "count", "lower", "cost", 0, None),
    ("roi_pct", "Return on investment", "%", "higher", "value", None, None),
]


def seed(apps, schema_editor):
    MetricDefinition = apps.get_model("metrics", "MetricDefinition")
    for key, name, unit, direction, dimension, low, high in CATALOG:
        MetricDefinition.objects.update_or_create(
            key=key,
            defaults={
                "name": name,
                "unit": unit,
                "direction": direction,
                "dimension": dimension,
                "min_value": low,
                "max_value": high,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
