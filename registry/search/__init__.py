"""Search behind a backend interface (Whoosh by default), indexed after commit."""

from pyramid.config import Configurator

from registry.search.interfaces import ISearchService
from registry.search.services import backend_class, install_hooks, search_service_factory


def includeme(config: Configurator) -> None:
    # Fail at start-up, naming the setting, rather than on the first search.
    backend_class(config.get_settings())
    config.register_service_factory(search_service_factory, ISearchService)
    install_hooks()
    config.add_tween(
        "registry.search.services.search_tween_factory", under="pyramid_tm.tm_tween_factory"
    )
