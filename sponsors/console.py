"""Staff console → Sponsors: employers, their seat pools and invoices (tenant and unit admins)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.selectors import offerings_for_staff
from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from core.money import MoneyInputError, parse_major
from payments.stripe_api import StripeRefused
from sponsors import selectors
from sponsors.forms import EmployerForm, PoolForm
from sponsors.models import Employer, PoolStatus, Unredeemed
from sponsors.services import employers, pools
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess, units_managed
from tenants.views import staff_page

sponsors_page = staff_page(manages_units=True)


@sponsors_page
def employer_list(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    rows = list(selectors.employers_for_staff(tenant=request.tenant, access=access)[:200])
    return render(
        request, "sponsors/console/employers.html", {"access": access, "section": "sponsors", "rows": rows}
    )


@sponsors_page
def employer_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = EmployerForm(
        request.POST or None,
        units=units_managed(tenant=request.tenant, access=access),
        tenant_wide=access.is_tenant_admin,
    )
    if request.method == "POST" and form.is_valid():
        try:
            made = employers.employer_create(
                tenant=request.tenant,
                access=access,
                organisation=form.cleaned_data["organisation"],
                billing_email=form.cleaned_data["billing_email"],
                billing_address=form.cleaned_data["billing_address"],
                po_number=form.cleaned_data["po_number"],
                unit=form.cleaned_data["unit"],
                contact_emails=form.contact_emails(),
                unredeemed=form.cleaned_data["unredeemed"] or Unredeemed.EXPIRE,
            )
        except NotFound:
            raise
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("%(org)s is added.") % {"org": made.organisation})
            return redirect("console-sponsor-employer", pk=made.pk)
    return render(
        request,
        "sponsors/console/employer_form.html",
        {"access": access, "section": "sponsors", "form": form},
        status=400 if form.errors else 200,
    )


def _employer(request: StaffRequest, access: StaffAccess, pk: int) -> Employer:
    found = selectors.employer_for_staff(tenant=request.tenant, access=access, employer_id=pk)
    if found is None:
        raise Http404
    return found


def _invoice(request: StaffRequest, pool_id: int) -> bool:
    """Invoice the pool at Stripe; a failure is said on the page and the pool stays a draft."""
    try:
        pools.pool_invoice_send(tenant=request.tenant, pool_id=pool_id)
    except StripeRefused as refused:
        messages.error(request, _("Stripe refused the invoice: %(why)s") % {"why": refused.reason})
        return False
    except MicrocredError as exc:
        messages.error(request, exc.message)
        return False
    return True


@sponsors_page
def employer_detail(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    employer = _employer(request, access, pk)
    offerings = offerings_for_staff(tenant=request.tenant, access=access)
    if employer.unit_id is not None:
        offerings = offerings.filter(microcredential__unit_id=employer.unit_id)
    form = PoolForm(request.POST or None, offerings=offerings)
    if request.method == "POST" and form.is_valid():
        offering = form.cleaned_data["offering"]
        try:
            price_text = str(form.cleaned_data.get("unit_price") or "").strip()
            price = parse_major(price_text, offering.currency) if price_text else None
        except MoneyInputError as exc:
            form.add_error("unit_price", str(exc))
        else:
            try:
                pool = pools.pool_create(
                    tenant=request.tenant,
                    access=access,
                    actor=request.user,
                    employer_id=employer.pk,
                    offering_id=offering.pk,
                    seats=form.cleaned_data["seats"],
                    unit_price_minor=price,
                    days_until_due=form.cleaned_data["days_until_due"],
                    request_key=form.cleaned_data["request_key"],
                )
            except NotFound:
                raise
            except MicrocredError as exc:
                form_errors_from(form, exc)
            else:
                if _invoice(request, pool.pk):
                    messages.success(
                        request,
                        ngettext(
                            "%(n)d seat reserved and the invoice sent to %(email)s.",
                            "%(n)d seats reserved and the invoice sent to %(email)s.",
                            pool.seats,
                        )
                        % {"n": pool.seats, "email": employer.billing_email},
                    )
                return redirect("console-sponsor-employer", pk=employer.pk)
    return render(
        request,
        "sponsors/console/employer.html",
        {
            "access": access,
            "section": "sponsors",
            "employer": employer,
            "contacts": employer.contacts.select_related("user").order_by("pk"),
            "rows": selectors.pools_of_employer(tenant=request.tenant, employer=employer),
            "form": form,
            "draft": PoolStatus.DRAFT,
            "voidable": [PoolStatus.DRAFT, PoolStatus.INVOICED, PoolStatus.OVERDUE],
        },
        status=400 if form.errors else 200,
    )


@sponsors_page
def pool_send(request: StaffRequest, access: StaffAccess, pk: int, pool_pk: int) -> HttpResponse:
    employer = _employer(request, access, pk)
    if request.method == "POST" and employer.pools.filter(pk=pool_pk).exists():
        if _invoice(request, pool_pk):
            messages.success(
                request, _("The invoice is sent to %(email)s.") % {"email": employer.billing_email}
            )
    elif request.method == "POST":
        raise Http404
    return redirect("console-sponsor-employer", pk=employer.pk)


@sponsors_page
def pool_void(request: StaffRequest, access: StaffAccess, pk: int, pool_pk: int) -> HttpResponse:
    employer = _employer(request, access, pk)
    if request.method != "POST":
        return redirect("console-sponsor-employer", pk=employer.pk)
    if not employer.pools.filter(pk=pool_pk).exists():
        raise Http404
    try:
        pools.pool_void(tenant=request.tenant, access=access, pool_id=pool_pk)
    except NotFound:
        raise
    except StripeRefused as refused:
        messages.error(request, _("Stripe refused: %(why)s") % {"why": refused.reason})
    except MicrocredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The invoice is void; the seats not handed out are back in the offering.")
        )
    return redirect("console-sponsor-employer", pk=employer.pk)


@sponsors_page
def contact_add(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    employer = _employer(request, access, pk)
    if request.method == "POST":
        email = str(request.POST.get("email", ""))[:254]
        try:
            contact = employers.contact_add(tenant=request.tenant, employer=employer, email=email)
        except NotFound:
            raise
        except MicrocredError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(email)s can now sign in and hand out %(org)s's seats.")
                % {"email": contact.user.email, "org": employer.organisation},
            )
    return redirect("console-sponsor-employer", pk=employer.pk)
