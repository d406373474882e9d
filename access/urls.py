from django.urls import path

from access import console, console_lms, views

urlpatterns = [
    path("my/learning/<int:pk>/course/", views.course, name="my-learning-course"),
    path("my/learning/<int:pk>/calendar.ics", views.calendar, name="my-learning-calendar"),
    path("console/provisions/<int:pk>/retry/", console.provision_retry, name="console-provision-retry"),
    path(
        "console/offerings/<int:pk>/roster/completions-from-lms/",
        console.completions_read,
        name="console-completions-read",
    ),
    path("console/lms/", console_lms.connection_list, name="console-lms"),
    path("console/lms/new/", console_lms.connection_new, name="console-lms-new"),
    path("console/lms/<int:pk>/", console_lms.connection_edit, name="console-lms-connection"),
    path("console/lms/<int:pk>/test/", console_lms.connection_check, name="console-lms-test"),
]
