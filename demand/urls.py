from django.urls import path

from demand import console, views

urlpatterns = [
    path("offerings/<int:pk>/notify/", views.notify, name="demand-notify"),
    path("notify/unsubscribe/<str:token>/", views.unsubscribe, name="demand-unsubscribe"),
    path("console/demand/", console.demand_home, name="console-demand"),
    path("console/demand/microcredentials.csv", console.microcredentials_csv, name="console-demand-csv"),
    path("console/demand/fastest-filled.csv", console.offerings_csv, name="console-demand-offerings-csv"),
    path("console/demand/searches.csv", console.searches_csv, name="console-demand-searches-csv"),
]
