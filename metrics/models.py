from django.core.validators import RegexValidator
from django.db import models


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Dimension(models.TextChoices):
    VALUE = "value", "Value"
    RELIABILITY = "reliability", "Reliability"
    COST = "cost", "Cost"


class MetricDefinition(models.Model):
    """The metric catalog: what can be measured, in which unit, and which way is good."""

    key = models.SlugField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", "Use lower_snake_case.")],
    )
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=32, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["dimension", "key"]

    def __str__(self) -> str:
        return self.key

    def improves(self, baseline: float, target: float) -> bool:
        """Whether moving from `baseline` to `target` is an improvement."""
        return target > baseline if self.direction == Direction.HIGHER else target < baseline
