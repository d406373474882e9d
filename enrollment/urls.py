from django.urls import path

from enrollment import views

urlpatterns = [
    # Learners
    path("offerings/<int:pk>/enroll/", views.enroll, name="enroll"),
    path("my/learning/", views.my_learning, name="my-learning"),
    path("my/learning/<int:pk>/cancel/", views.cancel, name="enrollment-cancel"),
    path("my/learning/<int:pk>/<slug:action>/", views.respond, name="enrollment-respond"),
    path("offers/<str:token>/", views.offer, name="offer"),
]
