from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("board-pack.pdf", views.board_pack, name="board_pack"),
]
