"""registry detect: commands registered on `registry.cli.main`."""
