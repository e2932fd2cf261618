from django.urls import path

from dashboard.mywork import views

app_name = "mywork"

urlpatterns = [
    path("", views.my_work, name="home"),
]
