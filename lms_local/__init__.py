"""Local doubles of the LMSs Microcred provisions into, for development and tests (never
production): Moodle's REST web services and Canvas's REST API, for the calls Microcred makes,
with in-memory users, courses, enrolments and results, a control API, injected faults, and a
course page a browser can arrive at. See docs/lms.md.

    with lms_local.running(kind="moodle", token="t0k3n") as lms:
        course = lms.control.add_course(name="Data Literacy", shortname="DL-101")
"""

from lms_local.server import DEFAULT_TOKEN, KINDS, LocalLms, running

__all__ = ["DEFAULT_TOKEN", "KINDS", "LocalLms", "running"]
