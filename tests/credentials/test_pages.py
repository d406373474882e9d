"""What the learner sees of their credentials: My credentials, the public share page, the
downloads (JSON, baked PNG), the badge image, and the LinkedIn link."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from credentials import badge_image, baking, learner_views, linkedin
from credentials.models import CredentialStatus
from credentials.services.verify import Verdict
from tests.credentials.pages_world import make_credential, verdict
from tests.factories import UserFactory


@pytest.fixture
def verifier(monkeypatch):
    """The verifier's verdict, as the share page shows it (the real verifier is tested on its own)."""
    answer = FakeVerifier(verdict=verdict())

    def fake(credential):
        answer.seen.append(credential.public_id)
        return answer.verdict

    monkeypatch.setattr(learner_views, "verify_credential", fake)
    return answer


@dataclass
class FakeVerifier:
    verdict: Verdict
    seen: list[uuid.UUID] = field(default_factory=list)


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return tuple(int(v) for v in value)


def colours(image: Image.Image) -> list[tuple[int, ...]]:
    return [
        tuple(int(v) for v in colour)
        for _n, colour in image.getcolors(maxcolors=100000) or []
        if isinstance(colour, tuple)
    ]


# My credentials


def test_my_credentials_lists_only_the_signed_in_learners_own(world):
    mine = make_credential(learner=world.learner, unit=world.a_unit1, title="Data Analysis with pandas")
    other = UserFactory.create()
    theirs = make_credential(learner=other, unit=world.a_unit1, title="Welding I")
    page = world.client_for(world.learner, world.a).get("/my/credentials/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Data Analysis with pandas" in html
    assert "Alpha Continuing Ed" in html
    assert f"/credentials/{mine.public_id}/" in html
    assert f"/credentials/{mine.public_id}/credential.json" in html
    assert f"/credentials/{mine.public_id}/badge.png" in html
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in html
    assert "Welding I" not in html
    assert str(theirs.public_id) not in html

    other_page = world.client_for(other, world.a).get("/my/credentials/").content.decode()
    assert "Welding I" in other_page
    assert "Data Analysis with pandas" not in other_page


def test_my_credentials_is_scoped_to_the_tenant_of_the_host(world):
    make_credential(learner=world.learner, unit=world.b_unit1, title="Beta Forklift Safety")
    on_a = world.client_for(world.learner, world.a).get("/my/credentials/").content.decode()
    assert "Beta Forklift Safety" not in on_a
    assert "You have no credentials here yet" in on_a
    on_b = world.client_for(world.learner, world.b).get("/my/credentials/").content.decode()
    assert "Beta Forklift Safety" in on_b


def test_my_credentials_says_what_is_suspended_or_revoked_and_why(world):
    make_credential(learner=world.learner, unit=world.a_unit1, title="Course A")
    make_credential(
        learner=world.learner,
        unit=world.a_unit1,
        title="Course B",
        status=CredentialStatus.SUSPENDED,
        reason="Under review",
    )
    make_credential(
        learner=world.learner,
        unit=world.a_unit1,
        title="Course C",
        status=CredentialStatus.REVOKED,
        reason="Completion recorded in error",
    )
    html = world.client_for(world.learner, world.a).get("/my/credentials/").content.decode()
    assert "credential-valid" in html
    assert "Suspended by the issuer for now: Under review" in html
    assert "Revoked by the issuer: Completion recorded in error" in html
    # Only the valid one is offered for LinkedIn.
    assert html.count("linkedin.com/profile/add") == 1


def test_my_credentials_asks_to_sign_in(world):
    response = world.client_for(None, world.a).get("/my/credentials/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_navigation_and_my_learning_link_to_my_credentials(world):
    html = world.client_for(world.learner, world.a).get("/my/learning/").content.decode()
    assert html.count('href="/my/credentials/"') == 2  # the site's navigation and the page


# The share page


def test_share_page_shows_what_it_certifies_to_anyone(world, verifier):
    credential = make_credential(
        learner=world.learner,
        unit=world.a_unit1,
        issued_at=datetime(2026, 11, 29, 10, tzinfo=UTC),
        valid_until=datetime(2029, 11, 29, 10, tzinfo=UTC),
    )
    response = world.client_for(None, world.a).get(f"/credentials/{credential.public_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "<h1>Data Analysis with pandas</h1>",
        "Earned by <strong>Ada Lovelace</strong>",
        "Issued by Alpha Continuing Ed",
        "Learners clean, explore and chart data with pandas.",
        "Complete every module and pass the final project.",
        "3 CEU",
        "Introductory",
        "Data cleaning",
        "Charts",
        "29 November 2026",
        "29 November 2029",
        "<dd>Microcredential</dd>",
        "--brand: #123456",  # the unit's brand
    ):
        assert text in html, text
    assert verifier.seen == [credential.public_id]
    assert "Verified just now" in html
    for label, message in (
        ("Signature", "The signature matches the issuer&#x27;s key."),
        ("Issuer", "Issued by did:web:alpha.test:issuers:continuing-ed."),
        ("Status", "Not revoked or suspended."),
        ("Dates", "Valid from 29 Nov 2026; no expiry."),
    ):
        assert f"<strong>{label}</strong>" in html
        assert message in html
    assert "This credential has been revoked" not in html
    # Open Graph, for the card a post shows.
    assert '<meta property="og:title" content="Data Analysis with pandas">' in html
    assert f'<meta property="og:url" content="http://alpha.test/credentials/{credential.public_id}/">' in html
    assert f'content="http://alpha.test/badges/{credential.microcredential_id}.png"' in html
    assert "Ada Lovelace earned Data Analysis with pandas from Alpha Continuing Ed." in html
    assert response["Cache-Control"] == "no-cache"


def test_a_revoked_credential_says_so_prominently(world, verifier):
    verifier.verdict = verdict(failing="status")
    credential = make_credential(
        learner=world.learner, unit=world.a_unit1, status=CredentialStatus.REVOKED, reason="Recorded in error"
    )
    html = world.client_for(None, world.a).get(f"/credentials/{credential.public_id}/").content.decode()
    assert '<div class="revoked-banner" role="alert">' in html
    assert "This credential has been revoked" in html
    assert "Reason: Recorded in error" in html
    assert "Not verified: at least one check below failed." in html
    assert "Revoked by the issuer." in html  # the failing check's own message
    assert "Verified just now" not in html


def test_a_suspended_credential_says_so(world, verifier):
    credential = make_credential(
        learner=world.learner, unit=world.a_unit1, status=CredentialStatus.SUSPENDED, reason="Under review"
    )
    html = world.client_for(None, world.a).get(f"/credentials/{credential.public_id}/").content.decode()
    assert "Suspended by the issuer for now: Under review" in html
    assert "revoked-banner" not in html


def test_an_expired_credential_says_so(world, verifier):
    credential = make_credential(
        learner=world.learner,
        unit=world.a_unit1,
        issued_at=timezone.now() - timedelta(days=800),
        valid_until=timezone.now() - timedelta(days=5),
    )
    html = world.client_for(None, world.a).get(f"/credentials/{credential.public_id}/").content.decode()
    assert "This credential expired on" in html


def test_the_owner_gets_the_address_to_copy_and_linkedin(world, verifier):
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    path = f"/credentials/{credential.public_id}/"
    mine = world.client_for(world.learner, world.a).get(path).content.decode()
    assert f'value="http://alpha.test{path}" readonly' in mine
    assert "linkedin.com/profile/add" in mine
    anyone = world.client_for(UserFactory.create(), world.a).get(path).content.decode()
    assert "readonly" not in anyone
    assert "linkedin.com/profile/add" not in anyone


@pytest.mark.parametrize("suffix", ["", "credential.json", "badge.png"])
def test_unknown_ids_and_other_tenants_hosts_answer_404(world, verifier, suffix):
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    client_b = world.client_for(world.learner, world.b)
    assert client_b.get(f"/credentials/{credential.public_id}/{suffix}").status_code == 404
    client_a = world.client_for(None, world.a)
    assert client_a.get(f"/credentials/{uuid.uuid4()}/{suffix}").status_code == 404
    assert client_a.get(f"/credentials/not-a-uuid/{suffix}").status_code == 404
    assert client_a.get(f"/credentials/{credential.public_id}/{suffix}").status_code == 200


# Downloads


def test_the_json_download_is_the_stored_document(world):
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    response = world.client_for(None, world.a).get(f"/credentials/{credential.public_id}/credential.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    assert response["Content-Disposition"] == f'attachment; filename="credential-{credential.public_id}.json"'
    credential.refresh_from_db()
    assert json.loads(response.content) == credential.document


def test_the_baked_png_is_a_png_carrying_the_exact_document(world):
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    response = world.client_for(None, world.a).get(f"/credentials/{credential.public_id}/badge.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'attachment; filename="credential-{credential.public_id}.png"'
    png = response.content
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.verify()  # every chunk's CRC checks out
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (400, 400)
    assert b"iTXtopenbadgecredential\x00" in png  # an iTXt chunk with the spec's keyword
    credential.refresh_from_db()
    assert json.loads(baking.unbake(png) or "") == credential.document


def test_baking_replaces_an_earlier_credential_in_the_image():
    blank = io.BytesIO()
    Image.new("RGBA", (10, 10), (255, 0, 0, 255)).save(blank, format="PNG")
    once = baking.bake(blank.getvalue(), {"id": "urn:uuid:1"})
    twice = baking.bake(once, {"id": "urn:uuid:2", "name": "Ünïcode ✓"})
    assert twice.count(b"openbadgecredential") == 1
    assert json.loads(baking.unbake(twice) or "") == {"id": "urn:uuid:2", "name": "Ünïcode ✓"}
    assert baking.unbake(b"not a png") is None
    assert baking.unbake(blank.getvalue()) is None


# The badge image


def test_badge_image_is_a_cached_400px_png_in_the_units_colour(world, monkeypatch):
    credential = make_credential(learner=world.learner, unit=world.a_unit1, title="Welding I")
    path = f"/badges/{credential.microcredential_id}.png"
    client = world.client_for(None, world.a)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "max-age=3600" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (400, 400)
        rgba = image.convert("RGBA")
        assert pixel(rgba, (60, 200))[:3] == (0x12, 0x34, 0x56)  # the unit's colour
        assert pixel(rgba, (1, 1))[3] == 0  # round: transparent in the corner
        # Text in the brand's text colour (white on this dark blue) is drawn in the middle.
        assert any(colour[:3] == (255, 255, 255) for colour in colours(rgba.crop((80, 150, 320, 260))))
    # The second time it comes from the cache: not drawn again.
    monkeypatch.setattr(badge_image, "draw_badge", lambda **kwargs: pytest.fail("drawn again"))
    again = client.get(path)
    assert again.content == response.content


def test_badge_image_follows_the_units_brand(world):
    credential = make_credential(learner=world.learner, unit=world.a_unit1, title="Welding I")
    path = f"/badges/{credential.microcredential_id}.png"
    client = world.client_for(None, world.a)
    before = client.get(path).content
    world.a_unit1.primary_colour = "#f0c040"
    world.a_unit1.save()
    after = client.get(path).content
    assert after != before
    with Image.open(io.BytesIO(after)) as image:
        assert pixel(image.convert("RGB"), (60, 200)) == (0xF0, 0xC0, 0x40)


def test_badge_image_of_another_tenant_or_unknown_is_404(world):
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    assert (
        world.client_for(None, world.b).get(f"/badges/{credential.microcredential_id}.png").status_code == 404
    )
    assert world.client_for(None, world.a).get("/badges/999999999.png").status_code == 404
    assert world.client_for(None, world.a).get(f"/badges/{2**63}.png").status_code == 404


def test_badge_image_draws_the_unit_logo(world):
    logo = io.BytesIO()
    Image.new("RGB", (120, 60), (200, 30, 30)).save(logo, format="PNG")
    world.a_unit1.logo.save("logo.png", ContentFile(logo.getvalue()))
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    png = world.client_for(None, world.a).get(f"/badges/{credential.microcredential_id}.png").content
    with Image.open(io.BytesIO(png)) as image:
        top = colours(image.convert("RGB").crop((140, 60, 260, 160)))
    assert any(abs(r - 200) < 8 and abs(g - 30) < 8 and abs(b - 30) < 8 for r, g, b in top)


# LinkedIn


def test_linkedin_link_fills_in_the_certification_form():
    url = linkedin.add_to_profile_url(
        name="Data Analysis & pandas: Level 1",
        organization_name="Alpha Continuing Ed",
        issued_at=datetime(2026, 11, 29, tzinfo=UTC),
        expires_at=datetime(2029, 3, 1, tzinfo=UTC),
        cert_url="https://alpha.test/credentials/8f1c/",
        cert_id="8f1c",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert "&pandas" not in url
    assert "Data+Analysis+%26+pandas%3A+Level+1" in url
    assert parse_qs(parts.query) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": ["Data Analysis & pandas: Level 1"],
        "organizationName": ["Alpha Continuing Ed"],
        "issueYear": ["2026"],
        "issueMonth": ["11"],
        "expirationYear": ["2029"],
        "expirationMonth": ["3"],
        "certUrl": ["https://alpha.test/credentials/8f1c/"],
        "certId": ["8f1c"],
    }


def test_linkedin_link_without_expiry_has_no_expiration_fields():
    url = linkedin.add_to_profile_url(
        name="X", organization_name="Y", issued_at=datetime(2026, 1, 5, tzinfo=UTC), cert_url="u", cert_id="i"
    )
    query = parse_qs(urlsplit(url).query)
    assert "expirationYear" not in query
    assert "expirationMonth" not in query
    assert query["issueMonth"] == ["1"]


def test_my_credentials_linkedin_link_points_at_the_share_page(world):
    credential = make_credential(
        learner=world.learner, unit=world.a_unit1, issued_at=datetime(2026, 6, 15, 12, tzinfo=UTC)
    )
    html = world.client_for(world.learner, world.a).get("/my/credentials/").content.decode()
    start = html.index("https://www.linkedin.com/profile/add?")
    url = html[start : html.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlsplit(url).query)
    assert query["certUrl"] == [f"http://alpha.test/credentials/{credential.public_id}/"]
    assert query["certId"] == [str(credential.public_id)]
    assert query["organizationName"] == ["Alpha Continuing Ed"]
    assert (query["issueYear"], query["issueMonth"]) == (["2026"], ["6"])


# What a page reads from a document


def test_a_document_without_alignments_or_a_named_subject_falls_back(world, verifier):
    world.learner.full_name = "Grace Hopper"
    world.learner.save()
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    document = credential.document
    achievement = document["credentialSubject"]["achievement"]
    del achievement["alignment"]
    achievement["tag"] = ["COBOL", "Compilers"]
    achievement["name"] = {"en": "Compilers, in a language map"}
    document["credentialSubject"]["identifier"] = []
    credential.document = document
    credential.save()
    html = world.client_for(None, world.a).get(f"/credentials/{credential.public_id}/").content.decode()
    assert "<h1>Compilers, in a language map</h1>" in html
    assert "Earned by <strong>Grace Hopper</strong>" in html
    assert '<li class="badge">COBOL</li>' in html

    del achievement["tag"]
    credential.document = document
    credential.save()
    html = world.client_for(None, world.a).get(f"/credentials/{credential.public_id}/").content.decode()
    assert '<li class="badge">pandas</li>' in html  # the microcredential's own skills
    assert '<li class="badge">SQL</li>' in html


def test_my_credentials_query_count_does_not_grow_with_the_list(world, django_assert_max_num_queries):
    for n in range(4):
        make_credential(learner=world.learner, unit=world.a_unit1 if n % 2 else world.a_unit2, title=f"C{n}")
    client = world.client_for(world.learner, world.a)
    client.get("/my/credentials/")
    # The same few queries however many credentials there are (units and courses joined), and
    # one for the recognised prior learning.
    with django_assert_max_num_queries(5):
        assert client.get("/my/credentials/").status_code == 200
