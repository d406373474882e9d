"""The few HTML pages a browser sees: a course page, and the sign-in page the LMS would show.

A real LMS sends a learner who is not signed in to its login, which for Microcred's guests is an
OpenID Connect sign-in at Microcred. The double keeps that simple: the course page names the
learner given by `?user=` (their login or e-mail in the double); without it the browser is sent
to the sign-in page, which links to `--login-url` when one is set (Microcred's authorize
endpoint, say) and explains the `?user=` shortcut otherwise.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from lms_local.store import Course, Store, User

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
    "a{color:#0b57d0}.note{color:#555}"
)


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    ).encode()


def _learner(store: Store, ref: str) -> User | None:
    ref = ref.strip().lower()
    return next(
        (u for u in store.users.values() if ref and ref in (u.username.lower(), u.email.lower(), str(u.id))),
        None,
    )


def course_page(
    store: Store, *, kind: str, course: Course | None, user_ref: str, here: str, login_url: str
) -> tuple[int, bytes, str | None]:
    """(status, HTML, redirect location or None)."""
    if course is None:
        return 404, _page("Course not found", "<h1>Course not found</h1>"), None
    if not user_ref:
        return 302, b"", f"/login/index.php?next={quote(here, safe='')}"
    user = _learner(store, user_ref)
    enrolment = None if user is None else store.enrolment(user_id=user.id, course_id=course.id)
    if user is None or enrolment is None or enrolment.state not in ("active", "invited"):
        return (
            403,
            _page(
                course.name,
                f"<h1>{escape(course.name)}</h1><p>You are not enrolled in this course.</p>",
            ),
            None,
        )
    lms = "Moodle" if kind == "moodle" else "Canvas"
    return (
        200,
        _page(
            course.name,
            f"<h1>{escape(course.name)}</h1><p>Welcome, {escape(user.full_name)}.</p>"
            f"<p class='note'>Local {lms} double: the course {escape(course.shortname)}.</p>",
        ),
        None,
    )


def login_page(*, next_url: str, login_url: str) -> bytes:
    link = f"<p><a href='{escape(login_url)}'>Sign in with your institution</a></p>" if login_url else ""
    return _page(
        "Sign in",
        "<h1>Sign in</h1>"
        + link
        + "<p class='note'>This is a local LMS double. Add <code>?user=</code> and the learner's "
        "login or e-mail to a course address to arrive as that learner"
        + (
            f", e.g. <code>{escape(next_url)}{'&' if '?' in next_url else '?'}user=ada@example.org</code>"
            if next_url
            else ""
        )
        + ".</p>",
    )
