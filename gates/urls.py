from django.urls import path

from gates import recertification_views, review_views, views

app_name = "gates"

urlpatterns = [
    path("reviews/", review_views.review_queue, name="review_queue"),
    path("reviews/<int:pk>/", review_views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/decide/", review_views.review_decide, name="review_decide"),
    path("reviews/<int:pk>/withdraw/", review_views.review_withdraw, name="review_withdraw"),
    path("reviews/<int:pk>/comments/", review_views.review_comment, name="review_comment"),
    path("pilots/<int:pk>/request/", views.review_request, name="review_request"),
    path("pilots/<int:pk>/waivers/new/", views.waiver_grant, name="waiver_grant"),
    path("waivers/<int:pk>/revoke/", views.waiver_revoke, name="waiver_revoke"),
    path("pilots/<int:pk>/resume/", views.pilot_resume, name="pilot_resume"),
    path("pilots/<int:pk>/checklists/<slug:slug>/", views.checklist, name="checklist"),
    path("crosswalk/", views.crosswalk_page, name="crosswalk"),
    path("conditions/<int:pk>/met/", views.condition_met, name="condition_met"),
    path(
        "pilots/<int:pk>/recertify/",
        recertification_views.recertification_request,
        name="recertification_request",
    ),
    path(
        "recertification/",
        recertification_views.recertification_policy,
        name="recertification_policy",
    ),
    path("criteria/", views.criteria_list, name="criteria_list"),
    path("criteria/<int:pk>/", views.criteria_edit, name="criteria_edit"),
    path("criteria/<int:pk>/attach/", views.criteria_attach_checklist, name="criteria_attach"),
]
