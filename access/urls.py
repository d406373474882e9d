from django.urls import path

from access import console, views

urlpatterns = [
    path("my/learning/<int:pk>/course/", views.course, name="my-learning-course"),
    path("my/learning/<int:pk>/calendar.ics", views.calendar, name="my-learning-calendar"),
    path("console/provisions/<int:pk>/retry/", console.provision_retry, name="console-provision-retry"),
    path(
        "console/offerings/<int:pk>/roster/completions-from-lms/",
        console.completions_read,
        name="console-completions-read",
    ),
]
