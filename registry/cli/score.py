"""registry score: commands registered on `registry.cli.main`."""
