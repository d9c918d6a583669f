"""registry import ocds (OCDS import): commands registered on `registry.cli.main`."""
