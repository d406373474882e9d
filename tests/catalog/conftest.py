import pytest


@pytest.fixture
def no_page_cache(settings):
    """Measure or observe the real rendering, not a cached copy."""
    settings.CATALOG_CACHE_SECONDS = 0
