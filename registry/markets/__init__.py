"""Markets (CPV prefix or framework lot) and their concentration."""

from pyramid.config import Configurator

from registry.markets.cache import TimedCache, cache_seconds
from registry.markets.services import cpv_depth


def includeme(config: Configurator) -> None:

    # A bad depth stops start-up, naming the setting.
    config.registry["registry.markets.cpv_depth"] = cpv_depth(config.get_settings())
    config.registry["registry.markets.cache"] = TimedCache(cache_seconds(config.get_settings()))
