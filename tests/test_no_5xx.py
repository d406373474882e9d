"""Sweep: every URL pattern, as a tenant admin, as a learner and anonymous, answers wrong
types, negative and overflowing numbers, NUL characters and over-long text without a 5xx.

Form pages are read first and their own field names posted back wrong; API endpoints get the
field names of every input serializer, as JSON and as a form."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from rest_framework import serializers

from tests.catalog.factories import OfferingFactory, RefundPolicyFactory

pytestmark = pytest.mark.django_db

BAD_VALUES: list[Any] = ["abc", -1, 2**63, "1e309", "a\x00b", "x" * 10240, "", [], {}, None]
# In a query string or a form every value is text: a list, an object or null would arrive as the
# strings "[]", "{}" and "null", no different from "abc"; they are sent to the API as JSON only.
TEXT_BAD_VALUES: list[Any] = BAD_VALUES[:7]
# Not swept: Django's own admin (its own test suite), the webhook (a signed body or nothing),
# and sign-out, ours and the OpenID provider's (it would end the session the rest of the sweep runs in).
SKIPPED = re.compile(r"^/(admin/|payments/stripe/webhook|accounts/logout/|oidc/logout/|media/)")
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if isinstance(entry.pattern, RoutePattern):
                yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and isinstance(entry.pattern, RoutePattern):
            yield "/" + prefix + str(entry.pattern)


def _fill(route: str, number: int) -> str:
    return PARAM.sub(lambda m: str(number) if m.group(1) == "int" else "x", route)


def _api_field_names() -> set[str]:
    """Every field name of every input serializer of every app's API."""
    import catalog.api
    import enrollment.api
    import enrollment.api_completion
    import enrollment.api_staff
    import finance.api
    import learners.api
    import payments.api

    names: set[str] = {"q", "page", "page_size", "state", "unit", "email", "offering", "line"}
    for module in (
        catalog.api,
        enrollment.api,
        enrollment.api_completion,
        finance.api,
        learners.api,
        payments.api,
    ):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, serializers.Serializer) and cls.__name__.endswith("Input"):
                names |= set(cls().fields)
    return names


def _form_field_names(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([\w-]+)"', html)) - {
        "csrfmiddlewaretoken"
    }


def _form_values(html: str) -> dict[str, str]:
    """What a form page fills in itself (text inputs and checked choices), to post back."""
    values = dict(re.findall(r'<input[^>]*\bname="([\w-]+)"[^>]*\bvalue="([^"]*)"', html))
    values.pop("csrfmiddlewaretoken", None)
    return values


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@pytest.fixture
def objects(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, status="published")
    RefundPolicyFactory.create(unit=world.a_unit1)
    return offering


def _sweep(client: Client, route: str, numbers: list[int], api_names: set[str]) -> list[str]:
    found = []

    def check(response: Any, what: str) -> None:
        if response.status_code >= 500:
            found.append(f"{response.status_code} {what}")

    for number in numbers:
        path = _fill(route, number)
        page = client.get(path)
        check(page, f"GET {path}")
        is_api = path.startswith("/api/")
        names = set(api_names) if is_api else set()
        if not is_api and page.status_code == 200 and "html" in page.get("Content-Type", ""):
            names |= _form_field_names(page.content.decode(errors="replace"))
        names = names or {"q"}
        if not is_api and names != {"q"}:
            # One field wrong at a time, the others as the page filled them in: reaches the
            # checks that run only once every other field is valid.
            filled = _form_values(page.content.decode(errors="replace"))
            for name in names:
                for value in ("9223372036854775808", "-1", "x" * 10240):
                    data = {**filled, name: value}
                    check(client.post(path, data), f"POST form {path} {name}={value[:20]!r}")
        for value in BAD_VALUES if is_api else TEXT_BAD_VALUES:
            text = _as_text(value)
            check(client.get(path, dict.fromkeys(names, text)), f"GET {path} ?{text[:20]!r}")
            check(client.post(path, dict.fromkeys(names, text)), f"POST form {path} {text[:20]!r}")
            if is_api:
                body = json.dumps(dict.fromkeys(names, value))
                for method in (client.post, client.patch, client.put):
                    check(
                        method(path, body, content_type="application/json"),
                        f"{method.__name__.upper()} json {path} {text[:20]!r}",
                    )
    return found


def test_a_sign_in_provider_the_tenant_has_not_set_up_is_a_404(world):
    client = world.client_for(None, world.a)

    for path in ("/accounts/google/login/", "/accounts/microsoft/login/callback/"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404


@pytest.mark.parametrize("who", ["tenant_admin", "learner", "anonymous"])
def test_no_url_answers_bad_input_with_a_5xx(world, objects, who):
    user = {"tenant_admin": world.a_admin, "learner": world.learner, "anonymous": None}[who]
    client = world.client_for(user, world.a)
    client.raise_request_exception = False
    api_names = _api_field_names()
    routes = sorted({r for r in _routes(get_resolver().url_patterns) if not SKIPPED.match(r)})
    assert len(routes) > 50  # the resolver was read

    found: list[str] = []
    for route in routes:
        if "<int:" in route:
            # An id past bigint: the lookup itself must not fail, whatever is sent with it.
            path = _fill(route, 2**63)
            for method in (client.get, client.post):
                if method(path).status_code >= 500:
                    found.append(f"5xx {method.__name__.upper()} {path}")
        found += _sweep(client, route, [objects.pk] if "<int:" in route else [0], api_names)

    assert not found, "\n".join(found)
