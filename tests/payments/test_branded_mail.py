"""Every mail a learner gets from a unit looks the same in the inbox: the unit's name as the
sender, "[Unit] …" as the subject, replies going to the unit's contact, text and HTML where the
template has both."""

from __future__ import annotations

from django.core import mail

from tests.payments.conftest import Shop

FROM = "Alpha Continuing Ed <no-reply@microcred.localhost>"


def test_an_enrollment_mail_and_a_receipt_wear_the_unit_s_brand_alike(shop: Shop, eager_tasks: None) -> None:
    unit = shop.world.a_unit1
    unit.contact_email = "ce@alpha.test"
    unit.save(update_fields=["contact_email"])
    offering = shop.offering(microcredential__title="Python for Data Analysis")

    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    shop.pay(shop.order_of(enrollment))
    shop.deliver()

    enrolled = next(m for m in mail.outbox if "You are enrolled" in m.subject)  # enrollment's
    receipt = next(m for m in mail.outbox if "receipt" in m.subject.lower())  # payments'
    for sent in (enrolled, receipt):
        assert sent.from_email == FROM
        assert sent.reply_to == ["ce@alpha.test"]
        assert sent.to == [shop.learner.email]
        assert sent.subject.startswith("[Alpha Continuing Ed] ")
    assert enrolled.subject == "[Alpha Continuing Ed] You are enrolled: Python for Data Analysis"
    assert "Python for Data Analysis" in receipt.body
    assert "Python for Data Analysis" in receipt.alternatives[0][0]  # type: ignore[attr-defined]


def test_without_a_unit_contact_replies_go_to_the_tenant(shop: Shop, eager_tasks: None) -> None:
    with shop.capture(execute=True):
        shop.hold(shop.offering(microcredential__title="Welding I", price_minor=0))

    [enrolled] = mail.outbox
    assert enrolled.subject == "[Alpha Continuing Ed] You are enrolled: Welding I"
    assert enrolled.from_email == FROM
    assert enrolled.reply_to == ["info@alpha.test"]
