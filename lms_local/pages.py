"""The few HTML pages a browser sees: a course page, and the sign-in page the LMS would show.

A real LMS sends a learner who is not signed in to its login, which for Microcred's guests is an
OpenID Connect sign-in at Microcred. The Moodle double does that when an OAuth 2 service is set
up (lms_local.oidc): the sign-in page offers the issuer, and the course page then names the
learner signed in in the browser's session. Without one, `?user=` and a login or e-mail is a
shortcut that arrives as that learner; the sign-in page links to `--login-url` when one is set
and explains the shortcut.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlencode

from lms_local.store import Course, Store, User

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
    "a{color:#0b57d0}.note{color:#555}"
    ".button{display:inline-block;padding:.6rem 1rem;border:2px solid #0b57d0;border-radius:6px}"
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


def problem(text: str) -> bytes:
    return _page("Sign-in problem", f"<h1>Sign-in problem</h1><p>{escape(text)}</p>")


def course_page(
    store: Store,
    *,
    kind: str,
    course: Course | None,
    user_ref: str,
    here: str,
    login_url: str,
    user_id: int | None = None,
) -> tuple[int, bytes, str | None]:
    """(status, HTML, redirect location or None). The learner: the session's (`user_id`), else
    the `?user=` shortcut's; neither: off to the sign-in page."""
    if course is None:
        return 404, _page("Course not found", "<h1>Course not found</h1>"), None
    if user_id is None and not user_ref:
        return 302, b"", f"/login/index.php?next={quote(here, safe='')}"
    user = store.users.get(user_id) if user_id is not None else _learner(store, user_ref)
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
            f"<header><p>Signed in as {escape(user.full_name)} ({escape(user.email)})</p></header>"
            f"<h1>{escape(course.name)}</h1><p>Welcome, {escape(user.full_name)}.</p>"
            f"<p class='note'>Local {lms} double: the course {escape(course.shortname)}.</p>",
        ),
        None,
    )


def login_page(*, next_url: str, login_url: str, issuer_name: str = "") -> bytes:
    if issuer_name:  # Moodle's login page with an OAuth 2 service: "Log in using your account on"
        start = "/auth/oauth2/login.php?" + urlencode({"id": "1", "wantsurl": next_url or "/"})
        return _page(
            "Log in",
            "<h1>Log in</h1><h2>Log in using your account on:</h2>"
            f"<p><a class='button' href='{escape(start)}'>{escape(issuer_name)}</a></p>",
        )
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
