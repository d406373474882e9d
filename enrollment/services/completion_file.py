"""Reading a completion CSV into wanted completions (enrollment.services.completion_many.Wanted).

Columns, in any order, by name (case and spaces do not matter): `email` or `enrollment_id` (or
both: they must agree), `date` (YYYY-MM-DD), and optionally `result` and `outcome` (`completed`,
the default, or `not_completed`). Other columns are ignored, so the roster's own CSV, with `result`
and `date` added, can be uploaded as is.

A file that cannot be read at all (too large, not UTF-8, not CSV, empty, without the needed
columns) raises CompletionFileInvalid. A line with a problem (a bad date, a missing cell, an id
that is not a number) becomes a Wanted with `problem` set: the report lists it with its line
number, next to every other line's fate.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from django.utils.translation import gettext as _

from enrollment.errors import CompletionFileInvalid
from enrollment.models import CompletionOutcome
from enrollment.services.completion_many import Wanted

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
ALIASES = {
    "email": "email",
    "e-mail": "email",
    "e_mail": "email",
    "email_address": "email",
    "enrollment_id": "enrollment_id",
    "enrollment": "enrollment_id",
    "result": "result",
    "grade": "result",
    "date": "date",
    "outcome": "outcome",
}
OUTCOMES = {
    "": CompletionOutcome.COMPLETED,
    "completed": CompletionOutcome.COMPLETED,
    "not_completed": CompletionOutcome.NOT_COMPLETED,
    "not completed": CompletionOutcome.NOT_COMPLETED,
}


def _bad(message: str) -> CompletionFileInvalid:
    return CompletionFileInvalid(message, fields={"file": [message]})


def _column(name: str) -> str:
    key = name.strip().lower().replace(" ", "_")
    return ALIASES.get(key, "")


def read_completion_csv(data: bytes) -> list[Wanted]:
    """The file's lines as wanted completions (line numbers as a spreadsheet counts them: the
    header is line 1)."""
    if len(data) > MAX_BYTES:
        raise _bad(
            _("The file is larger than %(n)d MB: split it into smaller files.") % {"n": MAX_BYTES // 2**20}
        )
    if b"\x00" in data:
        raise _bad(_("This is not a CSV file. Save the spreadsheet as “CSV UTF-8” and upload that."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad(
            _("The file is not in UTF-8. Save the spreadsheet as “CSV UTF-8” and upload that.")
        ) from exc
    if not text.strip():
        raise _bad(_("The file is empty."))
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _bad(_("This is not a readable CSV file (%(problem)s).") % {"problem": exc}) from exc
    header = [_column(cell) for cell in table[0]]
    if "email" not in header and "enrollment_id" not in header:
        raise _bad(
            _("The first line must name the columns: “email” or “enrollment_id”, “result” and “date”.")
        )
    if "date" not in header:
        raise _bad(_("There is no “date” column (the completion date, as YYYY-MM-DD)."))
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if any(cell.strip() for cell in row)]
    if not body:
        raise _bad(_("The file names its columns but has no learners in it."))
    if len(body) > MAX_ROWS:
        raise _bad(_("The file has more than %(n)d learners: split it into smaller files.") % {"n": MAX_ROWS})
    return [_wanted(n, header, row) for n, row in body]


def _wanted(n: int, header: list[str], row: list[str]) -> Wanted:
    if len(row) < len(header):
        return Wanted(line=n, problem=_("A column is missing on this line."))
    cells: dict[str, str] = {}
    for name, cell in zip(header, row, strict=False):
        if name and name not in cells:
            cells[name] = cell.strip()
    email = cells.get("email", "")
    problem = ""
    enrollment_id: int | None = None
    raw_id = cells.get("enrollment_id", "")
    if raw_id:
        try:
            enrollment_id = int(raw_id)
        except ValueError:
            problem = _("The enrollment id “%(id)s” is not a number.") % {"id": raw_id[:20]}
    outcome = OUTCOMES.get(cells.get("outcome", "").lower())
    if outcome is None:
        outcome = CompletionOutcome.COMPLETED
        problem = problem or _("The outcome is “completed” or “not_completed”.")
    on: date | None = None
    raw_date = cells.get("date", "")
    if not raw_date:
        problem = problem or _("No completion date.")
    else:
        try:
            on = date.fromisoformat(raw_date)
        except ValueError:
            problem = problem or _("“%(date)s” is not a date: write it as YYYY-MM-DD.") % {
                "date": raw_date[:20]
            }
    return Wanted(
        line=n,
        enrollment_id=enrollment_id,
        email=email[:254],
        outcome=outcome,
        result=cells.get("result", ""),
        on=on,
        problem=problem,
    )
