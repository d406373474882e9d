"""Where every app declares the personal data it holds, for "Download my data" and "Delete my account".

An account is global (one person, one e-mail, every tenant), so these work on the whole account.
Each app registers one handler in its ``AppConfig.ready()``::

    register_personal_data(
        "orders",                      # the section name in the export (unique)
        export=orders_export,          # (user) -> JSON-serialisable: everything held about them
        erase=orders_anonymize,        # (user, reference) -> None: see "Erasing" below
        blocker=orders_deletion_blocker,  # optional: (user) -> a reason deletion must wait, or None
    )

Exporting: return plain JSON values (str, int, bool, None, lists, dicts); datetimes as ISO 8601
strings; money as integer minor units plus currency. Never include secrets (hashes, TOTP seeds).

Erasing runs inside one database transaction, before the account row itself is scrubbed; any
exception rolls the whole deletion back. A handler

* deletes the rows it does not need to keep (profile extras, consents, preferences);
* KEEPS every row finance or an audit trail must keep (orders, payments, refunds, ledger entries,
  merge records). Their foreign key to the account stays valid: the account row is not deleted,
  it becomes an anonymous tombstone (no e-mail, name or phone; inactive; `anonymous_reference`
  set). Any copy of personal data on a kept row (an order's e-mail, a billing name) is replaced by
  the `reference` string, so the row still reads "who" as e.g. ``anon-3f9c1a2b7d4e``;
* never deletes a financial row, and never points a kept row at NULL.

Later apps therefore use ``on_delete=PROTECT`` for foreign keys to the account on rows they must
keep: nothing deletes account rows, and a bug that tried would fail loudly.

A ``blocker`` says why an account cannot be deleted yet (e.g. an order awaiting a refund, a staff
role); the page shows every reason and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.registry import Registry

if TYPE_CHECKING:
    from identity.models import User

Exporter = Callable[["User"], Any]
Eraser = Callable[["User", str], None]
Blocker = Callable[["User"], "str | None"]


@dataclass(frozen=True)
class PersonalDataHandler:
    section: str
    export: Exporter
    erase: Eraser
    blocker: Blocker | None = None


personal_data: Registry[PersonalDataHandler] = Registry("personal data section")


def register_personal_data(
    section: str, *, export: Exporter, erase: Eraser, blocker: Blocker | None = None
) -> None:
    """Declare one app's personal data. Registering the same section twice is a programming error."""
    personal_data.register(
        section, PersonalDataHandler(section=section, export=export, erase=erase, blocker=blocker)
    )


def personal_data_handlers() -> list[PersonalDataHandler]:
    """Every registered handler, in registration order (apps' order in INSTALLED_APPS)."""
    return list(personal_data)
