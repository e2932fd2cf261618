from django.urls import path

from portfolio.workbooks import views

# Included by portfolio/urls.py, under the "portfolio" namespace (config/urls.py).
urlpatterns = [
    path("<int:pk>/workbooks/<str:phase>/", views.workbook, name="workbook"),
    path(
        "<int:pk>/workbooks/<str:phase>/validate/",
        views.workbook_validate,
        name="workbook_validate",
    ),
    path(
        "<int:pk>/workbooks/<str:phase>/lists/<str:list_name>/add/",
        views.row_add,
        name="workbook_row_add",
    ),
    path(
        "<int:pk>/workbooks/<str:phase>/lists/<str:list_name>/validate/",
        views.row_validate,
        name="workbook_row_validate",
    ),
    path(
        "<int:pk>/workbooks/<str:phase>/lists/<str:list_name>/<int:row_id>/remove/",
        views.row_remove,
        name="workbook_row_remove",
    ),
    path("<int:pk>/memo/", views.memo, name="memo"),
    path("<int:pk>/memo.md", views.memo, {"fmt": "md"}, name="memo_markdown"),
    path("<int:pk>/memo.pdf", views.memo, {"fmt": "pdf"}, name="memo_pdf"),
    path("<int:pk>/evidence/<int:file_id>/", views.evidence_download, name="evidence"),
    path(
        "<int:pk>/evidence/<int:file_id>/remove/",
        views.evidence_remove,
        name="evidence_remove",
    ),
]
