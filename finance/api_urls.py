"""Finance endpoints under /api/v1/ (microcred/api_urls.py includes this)."""

from django.urls import path

from finance import api

urlpatterns = [
    path("finance/payouts/", api.PayoutListApi.as_view(), name="api-finance-payouts"),
    path("finance/payouts/<str:stripe_id>/", api.PayoutDetailApi.as_view(), name="api-finance-payout"),
    path("finance/problems/", api.ProblemListApi.as_view(), name="api-finance-problems"),
    path("finance/statements/", api.StatementListApi.as_view(), name="api-finance-statements"),
    path("finance/journal-exports/", api.JournalExportListApi.as_view(), name="api-finance-journal-exports"),
    path(
        "finance/journal-exports/<int:pk>/lines/",
        api.JournalExportLinesApi.as_view(),
        name="api-finance-journal-export-lines",
    ),
]
