from django.urls import path

from enrollment import console, console_completion, views

urlpatterns = [
    # Learners
    path("offerings/<int:pk>/enroll/", views.enroll, name="enroll"),
    path("my/learning/", views.my_learning, name="my-learning"),
    path("my/learning/<int:pk>/cancel/", views.cancel, name="enrollment-cancel"),
    path("my/learning/<int:pk>/<slug:action>/", views.respond, name="enrollment-respond"),
    path("offers/<str:token>/", views.offer, name="offer"),
    path("reminders/off/<str:token>/", views.reminders_off, name="reminders-off"),
    # Staff console
    path("console/enrollments/", console.offerings, name="console-enrollments"),
    path("console/offerings/<int:pk>/roster/", console.roster, name="console-roster"),
    path("console/offerings/<int:pk>/roster.csv", console.roster_csv, name="console-roster-csv"),
    path("console/offerings/<int:pk>/roster/enroll/", console.enroll_by_email, name="console-roster-enroll"),
    path("console/offerings/<int:pk>/roster/capacity/", console.capacity, name="console-roster-capacity"),
    path(
        "console/offerings/<int:pk>/roster/offer-window/", console.offer_window, name="console-roster-window"
    ),
    path(
        "console/offerings/<int:pk>/roster/complete/",
        console_completion.completion_bulk,
        name="console-roster-complete",
    ),
    path(
        "console/offerings/<int:pk>/roster/completions/upload/",
        console_completion.completion_upload,
        name="console-roster-completion-upload",
    ),
    path(
        "console/enrollments/<int:pk>/completion/",
        console_completion.completion,
        name="console-enrollment-completion",
    ),
    path(
        "console/enrollments/<int:pk>/<slug:action>/",
        console.enrollment_action,
        name="console-enrollment-action",
    ),
]
