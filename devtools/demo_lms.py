"""The demo units' LMS connections, pointed at this run's local doubles (lms_local).

Run by `make run` after seeding (`python -m devtools.demo_lms MOODLE_URL CANVAS_URL TOKEN`):
Northfield's Continuing Education gets the local Moodle, its School of Business the local
Canvas, each with a course for every offering of the unit (shortname and SIS id: the offering's
LMS course reference). The doubles keep nothing across restarts, so the courses are made again on
every run, and a demo connection still pointing at a local address is pointed at the new ports;
a connection staff pointed elsewhere is left alone. The local Moodle also signs learners in through
the tenant's OpenID provider: a first-party relying party "<unit> Moodle (local)" is registered
(or its redirect URI moved to the new port, with a new secret) and set up in the double.

A dev tool: it uses the doubles' control API (`/_control/`), which no app may import.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

DEMO = (("northfield", "continuing-ed", "moodle"), ("northfield", "business", "canvas"))


def _local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "http://localhost:"))


def seed(*, tenant_slug: str, unit_slug: str, kind: str, url: str, token: str) -> str:
    from access.lms.factory import token_seal
    from access.models import LmsConnection
    from catalog.models import Offering
    from lms_local.client import ControlClient, ControlError
    from tenants.models import Unit

    unit = Unit.objects.filter(tenant__slug=tenant_slug, slug=unit_slug).select_related("tenant").first()
    if unit is None:
        return f"{tenant_slug}/{unit_slug}: no such unit"
    control = ControlClient(url)
    refs = sorted(
        set(
            Offering.objects.filter(tenant=unit.tenant, microcredential__unit=unit)
            .exclude(lms_course_ref="")
            .values_list("lms_course_ref", flat=True)
        )
    )
    for ref in refs:
        with contextlib.suppress(ControlError):  # made already
            control.add_course(name=ref.replace("-", " ").title(), shortname=ref, idnumber=ref)
    options: dict[str, Any] = (
        {"student_role_id": 5, "auth": "oauth2"}
        if kind == "moodle"
        else {"account_id": "1", "authentication_provider_id": "101", "unenrol_task": "conclude"}
    )
    connection = LmsConnection.objects.filter(tenant=unit.tenant, unit=unit).first()
    if connection is None:
        LmsConnection.objects.create(
            tenant=unit.tenant,
            unit=unit,
            kind=kind,
            base_url=url,
            token_encrypted=token_seal(token),
            options=options,
            grace_days=7,
        )
    elif _local(connection.base_url) and connection.kind == kind:
        connection.base_url = url
        connection.token_encrypted = token_seal(token)
        connection.save(update_fields=["base_url", "token_encrypted"])
    else:
        return f"{unit.name}: keeps its own LMS connection"
    signs_in = f", sign-in through {sign_in(unit=unit, url=url)}" if kind == "moodle" else ""
    return f"{unit.name}: local {kind} at {url} ({len(refs)} courses){signs_in}"


def sign_in(*, unit: Any, url: str) -> str:
    """The local Moodle as the unit's first-party relying party, set up in the double; the
    issuer."""
    from access.models import ClaimGroup, RelyingParty
    from access.services.relying_parties import (
        relying_party_create,
        relying_party_secret_new,
        relying_party_update,
    )
    from lms_local.client import ControlClient
    from lms_local.oidc import CALLBACK
    from tenants.mail import site_url

    name = f"{unit.name} Moodle (local)"
    claims = [ClaimGroup.EMAIL, ClaimGroup.PROFILE, ClaimGroup.ENROLLMENTS]
    found = RelyingParty.objects.filter(tenant=unit.tenant, unit=unit, name=name).first()
    if found is None:
        registered = relying_party_create(
            tenant=unit.tenant,
            name=name,
            unit=unit,
            redirect_uris=url + CALLBACK,
            claims=claims,
            first_party=True,
        )
    else:
        relying_party_update(
            tenant=unit.tenant,
            pk=found.pk,
            name=name,
            unit=unit,
            redirect_uris=url + CALLBACK,
            claims=claims,
            first_party=True,
        )
        registered = relying_party_secret_new(tenant=unit.tenant, pk=found.pk)
    issuer = site_url(unit.tenant)
    ControlClient(url).set_oidc(
        issuer=issuer,
        client_id=registered.relying_party.application.client_id,
        client_secret=registered.client_secret,
        name=unit.tenant.name,
    )
    return issuer


def main(argv: list[str]) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microcred.settings")
    django.setup()
    if len(argv) != 3:
        print("usage: python -m devtools.demo_lms MOODLE_URL CANVAS_URL TOKEN", file=sys.stderr)
        return 2
    moodle, canvas, token = argv
    for tenant_slug, unit_slug, kind in DEMO:
        print(
            "LMS: "
            + seed(
                tenant_slug=tenant_slug,
                unit_slug=unit_slug,
                kind=kind,
                url=moodle if kind == "moodle" else canvas,
                token=token,
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
