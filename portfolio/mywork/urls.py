from django.urls import path

from portfolio.mywork import views

app_name = "mywork"

urlpatterns = [
    path("", views.my_work, name="home"),
]
