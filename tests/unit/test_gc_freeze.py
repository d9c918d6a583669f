"""A serving process moves what start-up built out of the garbage collector's walks; a process
not told to (a test's) leaves the collector as it was."""

from __future__ import annotations

import configparser
import gc
from collections.abc import Iterator

import pytest

from registry import PROJECT_ROOT
from registry.config import freeze_start_up


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_start_up_is_frozen_when_the_settings_say_so(unfrozen: None) -> None:
    freeze_start_up({"registry.gc_freeze": "false"})
    assert gc.get_freeze_count() == 0
    freeze_start_up({})
    assert gc.get_freeze_count() == 0
    freeze_start_up({"registry.gc_freeze": "true"})
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize("ini", ["production.ini", "development.ini"])
def test_the_served_configurations_freeze_start_up(ini: str) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(PROJECT_ROOT / ini)
    assert parser["app:main"]["registry.gc_freeze"] == "true"
