from django.urls import path

from notify import views

app_name = "notify"

urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("channels/", views.channels, name="channels"),
    path("channels/<int:pk>/remove/", views.channel_remove, name="channel_remove"),
]
