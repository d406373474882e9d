"""Catalog rows for tests. Defaults: published, open for enrollment now, starting in 30 days."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from catalog.models import (
    CreditType,
    DeliveryMode,
    Microcredential,
    Offering,
    PublicationStatus,
    RefundPolicy,
    RefundTier,
)
from tests.factories import UnitFactory


class RefundPolicyFactory(factory.django.DjangoModelFactory[RefundPolicy]):
    class Meta:
        model = RefundPolicy
        skip_postgeneration_save = True

    unit = factory.SubFactory(UnitFactory)
    tenant = factory.LazyAttribute(lambda o: o.unit.tenant)
    name = factory.Sequence(lambda n: f"Policy {n}")
    currency = "USD"
    is_unit_default = True

    @factory.post_generation
    def tiers(
        obj: RefundPolicy, create: bool, extracted: list[tuple[int, int]] | None, **kwargs: object
    ) -> None:
        for days, percent in extracted if extracted is not None else [(14, 100), (3, 50)]:
            RefundTier.objects.create(policy=obj, days_before_start=days, refund_percent=percent)


class MicrocredentialFactory(factory.django.DjangoModelFactory[Microcredential]):
    class Meta:
        model = Microcredential
        skip_postgeneration_save = True

    unit = factory.SubFactory(UnitFactory)
    tenant = factory.LazyAttribute(lambda o: o.unit.tenant)
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "A short course."
    outcomes = "Do one thing\nDo another thing"
    skills = ""
    credit_value = Decimal("3")
    credit_type = CreditType.CEU
    status = PublicationStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def parts(
        obj: Microcredential, create: bool, extracted: list[Microcredential] | None, **kwargs: object
    ) -> None:
        if extracted:
            obj.parts.set(extracted)


class OfferingFactory(factory.django.DjangoModelFactory[Offering]):
    class Meta:
        model = Offering

    microcredential = factory.SubFactory(MicrocredentialFactory)
    tenant = factory.LazyAttribute(lambda o: o.microcredential.tenant)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(weeks=6))
    time_zone = factory.LazyAttribute(lambda o: o.tenant.time_zone)
    enrollment_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    enrollment_closes_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=1))
    delivery_mode = DeliveryMode.ONLINE
    capacity = 20
    seats_taken = 0
    price_minor = 125000
    currency = "USD"
    status = PublicationStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
