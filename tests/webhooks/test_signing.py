"""The signature: the receiver's snippet in docs/webhooks.md, run exactly as printed there,
verifies a real delivery's body and header; webhooks.signing agrees with it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from enrollment import services as enrollment_services
from tests.factories import UserFactory
from tests.webhooks.conftest import endpoint, free_offering
from webhooks import signing
from webhooks.services import endpoint_deliver

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def docs_snippet() -> dict[str, Any]:
    text = DOCS.read_text()
    found = re.search(r"<!-- verify-snippet[^>]*-->\n```python\n(.*?)```", text, re.DOTALL)
    assert found, "docs/webhooks.md has no verify-snippet block"
    namespace: dict[str, Any] = {}
    exec(compile(found.group(1), str(DOCS), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


@pytest.mark.django_db
def test_the_docs_snippet_verifies_a_real_delivery(world, receiver):
    hook, secret = endpoint(world.a, receiver.url)
    offering = free_offering(world.a_unit1)
    enrollment_services.enrollment_create(
        tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk
    )
    assert endpoint_deliver(endpoint_id=hook.pk).sent == 1
    (got,) = receiver.accepted
    header = got.headers["Microcred-Signature"]
    verify_signature = docs_snippet()["verify_signature"]

    assert verify_signature(secret, got.body, header) is True
    assert verify_signature(secret, got.body + b" ", header) is False  # the body changed
    assert verify_signature("whsec_" + "0" * 64, got.body, header) is False  # another secret
    assert verify_signature(secret, got.body, header.replace("t=", "t=1")) is False
    assert signing.verify(secret, got.body, header) == int(header.split(",")[0][2:])
    assert got.event["type"] == "enrollment.confirmed"
    assert got.headers["Microcred-Event-Id"] == got.event["id"]


def test_an_old_signature_is_refused_by_both():
    secret, body = "whsec_abc", b'{"id":"evt_1"}'
    old = int(time.time()) - 301
    header = signing.sign(secret, body, old)
    assert docs_snippet()["verify_signature"](secret, body, header) is False
    with pytest.raises(signing.SignatureInvalid):
        signing.verify(secret, body, header)
    assert signing.verify(secret, body, header, tolerance=400) == old


def test_sign_is_the_hmac_of_time_dot_body():
    import hashlib
    import hmac

    body = b'{"a":1}'
    expected = hmac.new(b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signing.sign("whsec_k", body, 1700000000) == f"t=1700000000,v1={expected}"
    with pytest.raises(signing.SignatureInvalid):
        signing.verify("whsec_k", body, "v1=abc")


def test_the_docs_worked_example_is_what_sign_gives():
    text = DOCS.read_text()
    found = re.search(r"the header is\n`(t=\d+,v1=[0-9a-f]{64})`", text)
    assert found, "the worked example is missing from docs/webhooks.md"
    assert signing.sign("whsec_test", b'{"id":"evt_test"}', 1767225600) == found.group(1)
    assert signing.verify("whsec_test", b'{"id":"evt_test"}', found.group(1), now=1767225600) == 1767225600
