from django.urls import path

from finance import views

urlpatterns = [
    path("console/finance/", views.payouts, name="finance-payouts"),
    path("console/finance/payouts.csv", views.payouts_csv, name="finance-payouts-csv"),
    path("console/finance/import/", views.import_now, name="finance-import"),
    path("console/finance/payouts/<str:stripe_id>/", views.payout_detail, name="finance-payout"),
    path("console/finance/payouts/<str:stripe_id>/items.csv", views.payout_csv, name="finance-payout-csv"),
    path("console/finance/problems/", views.problems, name="finance-problems"),
    path("console/finance/problems.csv", views.problems_csv, name="finance-problems-csv"),
    path("console/finance/statements/", views.statements, name="finance-statements"),
    path("console/finance/statements.csv", views.statements_csv, name="finance-statements-csv"),
    path("console/finance/journals/", views.journals, name="finance-journals"),
    path("console/finance/journals/<int:pk>.csv", views.journal_csv, name="finance-journal-csv"),
]
