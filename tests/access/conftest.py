"""The local LMS doubles (lms_local), each a real HTTP server on a free port for the module,
reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import lms_local
from lms_local.server import LocalLms

TOKEN = "t0ken-for-tests"


@pytest.fixture(scope="session")
def moodle_server() -> Iterator[LocalLms]:
    with lms_local.running(kind="moodle", token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def canvas_server() -> Iterator[LocalLms]:
    with lms_local.running(kind="canvas", token=TOKEN) as server:
        yield server


@pytest.fixture
def moodle(moodle_server: LocalLms) -> LocalLms:
    moodle_server.control.reset()
    return moodle_server


@pytest.fixture
def canvas(canvas_server: LocalLms) -> LocalLms:
    canvas_server.control.reset()
    return canvas_server
