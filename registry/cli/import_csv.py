"""registry import csv (CSV import): commands registered on `registry.cli.main`."""
