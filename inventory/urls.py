from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("changes/<int:pk>/", views.change_detail, name="change_detail"),
    path("change-rules/", views.change_rules, name="change_rules"),
    path("pilots/<int:pk>/link/", views.pilot_change, name="pilot_link"),
    path("pilots/<int:pk>/links/<int:link_pk>/", views.pilot_change, name="pilot_change"),
    path("prompts/<int:pk>/versions/", views.prompt_version_add, name="prompt_version_add"),
    path("<slug:kind>/", views.asset_list, name="asset_list"),
    path("<slug:kind>/new/", views.asset_edit, name="asset_create"),
    path("<slug:kind>/<int:pk>/", views.asset_detail, name="asset_detail"),
    path("<slug:kind>/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
]
