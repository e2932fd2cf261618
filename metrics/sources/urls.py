from django.urls import path

from metrics.sources import views as source_views

# Included into metrics/urls.py (namespace "metrics").
urlpatterns = [
    path("pilots/<int:pilot_pk>/sources/", source_views.source_list, name="source_list"),
    path("pilots/<int:pilot_pk>/sources/new/", source_views.source_create, name="source_create"),
    path("pilots/<int:pilot_pk>/csv/", source_views.csv_upload, name="csv_upload"),
    path("sources/<int:pk>/", source_views.source_detail, name="source_detail"),
    path("sources/<int:pk>/edit/", source_views.source_edit, name="source_edit"),
    path("sources/<int:pk>/delete/", source_views.source_delete, name="source_delete"),
    path("sources/<int:pk>/pull/", source_views.source_pull, name="source_pull"),
    path("csv/<int:pk>/", source_views.csv_report, name="csv_report"),
]
