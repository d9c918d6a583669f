"""registry token (API tokens): commands registered on `registry.cli.main`."""
