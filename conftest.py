import pytest

from parley.core.testing import World, make_world


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    from parley.crypto.services import key_cache

    key_cache.clear()
    yield
    key_cache.clear()


@pytest.fixture
def world(db) -> World:
    return make_world()
