"""registry reindex: commands registered on `registry.cli.main`."""
