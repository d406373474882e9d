"""The demo learners; free of Django imports so `make run` can print them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoLearner:
    email: str
    full_name: str
    # (tenant slug, unit slug the learner came from) for each tenant they use.
    places: tuple[tuple[str, str], ...]
    where: str


DEMO_LEARNERS = (
    DemoLearner(
        "ada@learners.localhost", "Ada Lovelace", (("northfield", "continuing-ed"),), "http://127.0.0.1:8000"
    ),
    DemoLearner(
        "grace@learners.localhost",
        "Grace Hopper",
        (("northfield", "business"), ("harbor", "workforce")),
        "http://127.0.0.1:8000 and http://harbor.localhost:8000",
    ),
)
