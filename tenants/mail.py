"""E-mail in a brand, and the tenant's address for the links in it.

`branded_email` builds every mail a person gets in a unit's or a tenant's name: From
"<brand name> <address of DEFAULT_FROM_EMAIL>", the subject "[<brand name>] …", Reply-To the
brand's contact, a text body and, when `<prefix>_message.html` exists, an HTML one. It only
builds; how the message leaves is core.mail's rule (an outbox's worker hands it to
`core.mail.deliver_now`, everything else calls `.send()`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation

from tenants.brand import Brand
from tenants.cache import primary_host_cached
from tenants.models import Tenant


def site_url(tenant: Tenant) -> str:
    """The tenant's own address, for links in e-mails sent outside any request."""
    host = primary_host_cached(tenant.pk) or "localhost"
    port = settings.PUBLIC_PORT
    scheme = "https" if settings.HTTPS else "http"
    return f"{scheme}://{host}{':' + str(port) if port else ''}"


def branded_from(brand: Brand) -> str:
    """The brand's name in front of the platform's sending address."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((brand.name, address))


def branded_email(
    *,
    brand: Brand,
    to: Sequence[str],
    template_prefix: str,
    context: Mapping[str, Any],
    language: str | None = None,
    request: HttpRequest | None = None,
) -> EmailMultiAlternatives:
    """Render `<prefix>_subject.txt`, `<prefix>_message.txt` and, if it exists,
    `<prefix>_message.html` with `brand` in the context, in `language` (the active language when
    None); `request`, when given, lets the templates' context processors run."""
    context = {"brand": brand, **context}
    with translation.override(language) if language else nullcontext():
        subject = render_to_string(f"{template_prefix}_subject.txt", context, request)
        body = render_to_string(f"{template_prefix}_message.txt", context, request).strip()
        try:
            html_template = get_template(f"{template_prefix}_message.html")
        except TemplateDoesNotExist:
            html = None
        else:
            html = html_template.render(context, request).strip()
    message = EmailMultiAlternatives(
        # A header holds one line: a template's line breaks become spaces.
        subject=f"[{brand.name}] {' '.join(subject.splitlines()).strip()}",
        body=body,
        from_email=branded_from(brand),
        to=list(to),
        reply_to=[brand.contact_email] if brand.contact_email else None,
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message
