"""The production settings, plus a bench-only URLconf with a constant view (the framework's
ceiling on this machine). Used only by bench/catalog.py."""

from microcred.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
