"""The staff console's catalog: tenant admins run every unit's, unit admins their own units'.

Anything out of reach (another unit, another tenant, a finance-only role) is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from catalog import selectors, services
from catalog.console_forms import MicrocredentialForm, OfferingForm, RefundPolicyForm
from catalog.presenters import offering_page
from catalog.refunds import PolicyTerms, policy_in_words
from catalog.services.offerings import unit_default_policy
from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess, units_managed
from tenants.views import staff_page

# A form whose `service_fields()` a create or update service takes, and what that service saved.
ServiceForm = MicrocredentialForm | OfferingForm | RefundPolicyForm
Saved = TypeVar("Saved")
Using = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]

# A status service (publish, unpublish, archive, restore) and the message that says it worked.
StatusAction = tuple[Callable[..., object], Promise]

# Staff who run at least one unit: tenant admins and unit admins.
catalog_page = staff_page(manages_units=True)


def _context(access: StaffAccess, **extra: Any) -> dict[str, Any]:
    return {"access": access, "section": "catalog", **extra}


def console_form_view(
    request: StaffRequest,
    access: StaffAccess,
    form: ServiceForm,
    *,
    save: Callable[..., Saved],
    using: Using,
    done: str | Callable[[Saved], str],
    then: Callable[[Saved], HttpResponse],
    template: str,
    field_for: Mapping[str, str] | None = None,
    **context: Any,
) -> HttpResponse:
    """The console's create and edit pages: a valid form goes to one service, which saves it.

    `save` is called with the tenant, the access, the actor, the form's `service_fields()` and
    `using` (fixed keywords, or made from the cleaned data). Saved: the `done` message, then
    `then(saved)`. Refused: the error stands on the form (`field_for` renames service fields),
    which is shown again; out of reach stays a 404.
    """
    if request.method == "POST" and form.is_valid():
        extra = using(form.cleaned_data) if callable(using) else using
        try:
            saved = save(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                fields=form.service_fields(),
                **extra,
            )
        except NotFound:
            raise
        except MicrocredError as exc:
            form_errors_from(form, exc, field_for)
        else:
            messages.success(request, done(saved) if callable(done) else done)
            return then(saved)
    return render(request, template, _context(access, form=form, **context))


# --- Microcredentials --------------------------------------------------------------------------


@catalog_page
def catalog_home(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    microcredentials = selectors.microcredentials_for_staff(tenant=request.tenant, access=access)
    return render(request, "catalog/console/home.html", _context(access, microcredentials=microcredentials))


def _microcredential_form(request: StaffRequest, access: StaffAccess, **kwargs: Any) -> MicrocredentialForm:
    return MicrocredentialForm(
        request.POST or None,
        units=units_managed(tenant=request.tenant, access=access),
        parts=selectors.part_choices(tenant=request.tenant, access=access),
        **kwargs,
    )


@catalog_page
def microcredential_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    return console_form_view(
        request,
        access,
        _microcredential_form(request, access),
        save=services.microcredential_create,
        using=lambda data: {"unit": data["unit"], "parts": data["parts"]},
        done=lambda created: _("“%(title)s” saved as a draft.") % {"title": created.title},
        then=lambda created: redirect("console-microcredential", pk=created.pk),
        template="catalog/console/microcredential_form.html",
        microcredential=None,
    )


@catalog_page
def microcredential_detail(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    microcredential = selectors.microcredential_for_staff(
        tenant=request.tenant, access=access, microcredential_id=pk
    )
    offerings = selectors.offerings_for_staff(tenant=request.tenant, access=access).filter(
        microcredential=microcredential
    )
    context = _context(access, microcredential=microcredential, offerings=offerings)
    return render(request, "catalog/console/microcredential.html", context)


@catalog_page
def microcredential_edit(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    microcredential = selectors.microcredential_for_staff(
        tenant=request.tenant, access=access, microcredential_id=pk
    )
    return console_form_view(
        request,
        access,
        _microcredential_form(request, access, instance=microcredential),
        save=services.microcredential_update,
        using=lambda data: {"microcredential_id": pk, "parts": data["parts"]},
        done=_("Changes saved."),
        then=lambda saved: redirect("console-microcredential", pk=pk),
        template="catalog/console/microcredential_form.html",
        microcredential=microcredential,
    )


def _change_status(
    request: StaffRequest, access: StaffAccess, actions: Mapping[str, StatusAction], **target: int
) -> None:
    """Run the publish/unpublish/archive/restore service the form named; say how it went.

    Out of reach stays a 404; a refusal (e.g. publishing without a refund policy) is a message."""
    action = actions.get(request.POST.get("action", ""))
    if action is None:
        raise Http404
    change, done = action
    try:
        change(tenant=request.tenant, access=access, actor=request.user, **target)
    except NotFound:
        raise
    except MicrocredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))


MICROCREDENTIAL_ACTIONS: dict[str, StatusAction] = {
    "publish": (
        services.microcredential_publish,
        _lazy("Published: its published offerings are now public."),
    ),
    "unpublish": (services.microcredential_unpublish, _lazy("Unpublished: it and its offerings are hidden.")),
    "archive": (services.microcredential_archive, _lazy("Archived.")),
    "restore": (services.microcredential_restore, _lazy("Restored as a draft.")),
}


@require_POST
@catalog_page
def microcredential_status(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    _change_status(request, access, MICROCREDENTIAL_ACTIONS, microcredential_id=pk)
    return redirect("console-microcredential", pk=pk)


# --- Offerings ---------------------------------------------------------------------------------


def _offering_form(
    request: StaffRequest, access: StaffAccess, *, unit_id: int, initial: dict[str, Any] | None = None
) -> OfferingForm:
    default = unit_default_policy(tenant=request.tenant, unit_id=unit_id)
    label = (
        _("The unit's default policy (%(name)s)") % {"name": default.name}
        if default
        else _("The unit's default policy (none set yet)")
    )
    policies = selectors.refund_policies_for_staff(tenant=request.tenant, access=access).filter(
        unit_id=unit_id
    )
    return OfferingForm(request.POST or None, initial=initial, policies=policies, default_policy=label)


@catalog_page
def offering_new(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    microcredential = selectors.microcredential_for_staff(
        tenant=request.tenant, access=access, microcredential_id=pk
    )
    initial = {
        "time_zone": request.tenant.time_zone,
        "currency": request.tenant.currency,
        "seat_hold_minutes": 30,
        "waitlist_enabled": True,
        "price": "0",
    }
    return console_form_view(
        request,
        access,
        _offering_form(request, access, unit_id=microcredential.unit_id, initial=initial),
        save=services.offering_create,
        using={"microcredential_id": pk},
        done=_("Offering saved as a draft."),
        then=lambda created: redirect("console-offering", pk=created.pk),
        template="catalog/console/offering_form.html",
        field_for=OfferingForm.FIELD_FOR,
        microcredential=microcredential,
        offering=None,
    )


@catalog_page
def offering_detail(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    offering = selectors.offering_for_staff(tenant=request.tenant, access=access, offering_id=pk)
    context = _context(
        access,
        offering=offering,
        microcredential=offering.microcredential,
        page=offering_page(offering),
        events=selectors.events_for_offering(tenant=request.tenant, offering=offering),
    )
    return render(request, "catalog/console/offering.html", context)


@catalog_page
def offering_edit(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    offering = selectors.offering_for_staff(tenant=request.tenant, access=access, offering_id=pk)
    unit_id, initial = offering.microcredential.unit_id, OfferingForm.initial_for(offering)
    return console_form_view(
        request,
        access,
        _offering_form(request, access, unit_id=unit_id, initial=initial),
        save=services.offering_update,
        using={"offering_id": pk},
        done=_("Changes saved."),
        then=lambda saved: redirect("console-offering", pk=pk),
        template="catalog/console/offering_form.html",
        field_for=OfferingForm.FIELD_FOR,
        microcredential=offering.microcredential,
        offering=offering,
    )


OFFERING_ACTIONS: dict[str, StatusAction] = {
    "publish": (services.offering_publish, _lazy("Published: learners can see it in the catalog.")),
    "unpublish": (services.offering_unpublish, _lazy("Unpublished: it is hidden from learners.")),
    "archive": (services.offering_archive, _lazy("Archived.")),
    "restore": (services.offering_restore, _lazy("Restored as a draft.")),
}


@require_POST
@catalog_page
def offering_status(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    _change_status(request, access, OFFERING_ACTIONS, offering_id=pk)
    return redirect("console-offering", pk=pk)


@require_POST
@catalog_page
def offering_copy(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    copy = services.offering_copy_as_next_cohort(
        tenant=request.tenant, access=access, actor=request.user, offering_id=pk
    )
    messages.success(
        request, _("Next cohort created as a draft, with every date moved on. Check and publish it.")
    )
    return redirect("console-offering-edit", pk=copy.pk)


# --- Refund policies ---------------------------------------------------------------------------


@catalog_page
def refund_policies(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    policies = selectors.refund_policies_for_staff(tenant=request.tenant, access=access)
    rows = [(policy, policy_in_words(PolicyTerms.of(policy))) for policy in policies]
    return render(request, "catalog/console/refund_policies.html", _context(access, rows=rows))


@catalog_page
def refund_policy_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = RefundPolicyForm(
        request.POST or None,
        units=units_managed(tenant=request.tenant, access=access),
        initial={"currency": request.tenant.currency, "frees_seat": True},
    )
    return console_form_view(
        request,
        access,
        form,
        save=services.refund_policy_create,
        using=lambda data: {"unit": data["unit"], "tiers": data["tiers"]},
        done=_("Refund policy saved."),
        then=lambda saved: redirect("console-refund-policies"),
        template="catalog/console/refund_policy_form.html",
        field_for=RefundPolicyForm.FIELD_FOR,
        policy=None,
    )


@catalog_page
def refund_policy_edit(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    policy = selectors.refund_policy_for_staff(tenant=request.tenant, access=access, policy_id=pk)
    form = RefundPolicyForm(request.POST or None, units=None, initial=RefundPolicyForm.initial_for(policy))
    return console_form_view(
        request,
        access,
        form,
        save=services.refund_policy_update,
        using=lambda data: {"policy_id": pk, "tiers": data["tiers"]},
        done=_("Refund policy saved."),
        then=lambda saved: redirect("console-refund-policies"),
        template="catalog/console/refund_policy_form.html",
        field_for=RefundPolicyForm.FIELD_FOR,
        policy=policy,
    )
