from django.urls import path

from finance.views import journals, payouts, problems, statements

urlpatterns = [
    path("console/finance/", payouts.payouts, name="finance-payouts"),
    path("console/finance/payouts.csv", payouts.payouts_csv, name="finance-payouts-csv"),
    path("console/finance/import/", payouts.import_now, name="finance-import"),
    path("console/finance/payouts/<str:stripe_id>/", payouts.payout_detail, name="finance-payout"),
    path("console/finance/payouts/<str:stripe_id>/items.csv", payouts.payout_csv, name="finance-payout-csv"),
    path("console/finance/problems/", problems.problems, name="finance-problems"),
    path("console/finance/problems.csv", problems.problems_csv, name="finance-problems-csv"),
    path("console/finance/statements/", statements.statements, name="finance-statements"),
    path("console/finance/statements.csv", statements.statements_csv, name="finance-statements-csv"),
    path("console/finance/journals/", journals.journals, name="finance-journals"),
    path("console/finance/journals/<int:pk>.csv", journals.journal_csv, name="finance-journal-csv"),
]
