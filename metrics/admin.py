from django.contrib import admin

from metrics.models import MetricDefinition


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "unit", "direction", "dimension", "min_value", "max_value")
    list_filter = ("dimension", "direction")
    search_fields = ("key", "name")
