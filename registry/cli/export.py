"""registry export: commands registered on `registry.cli.main`."""
