"""Markets (CPV prefix or framework lot) and their concentration."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    from registry.markets.services import cpv_depth

    # A bad depth stops start-up, naming the setting.
    config.registry["registry.markets.cpv_depth"] = cpv_depth(config.get_settings())
