"""What changed, and when: the data version public pages' ETags derive from, and the change log
incremental detection and scoring read (issue 21)."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.include(".caching")
