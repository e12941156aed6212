"""Fixtures of the unit tests."""

import pytest
from fake_backend import FakeBackend


@pytest.fixture
def backend():
    fake = FakeBackend()
    yield fake
    fake.close()


