"""The real URLconf plus two constant views through the same middleware: /bench/trivial/ (a GET)
and /bench/trivial-post/ (a POST through DRF's authentication, session and CSRF, as
/api/v1/enrollments/ is, answering a constant): the framework's ceilings on this machine."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from microcred.urls import urlpatterns as real_urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


class TrivialAuthenticatedPost(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        return Response({"id": 1, "status": "confirmed"}, status=201)


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/trivial/", trivial),
    path("bench/trivial-post/", TrivialAuthenticatedPost.as_view()),
    *real_urlpatterns,
]
