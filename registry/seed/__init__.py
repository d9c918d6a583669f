"""Seed data: seed_data/ checked against schemas/seed-*.schema.json and against itself, then
written through the models in one transaction (`registry seed [--if-empty]`)."""

from registry.seed.files import SEED_DIR, SeedDataError, read_seed_data
from registry.seed.loader import load_seed_data, registry_is_empty

__all__ = ["SEED_DIR", "SeedDataError", "load_seed_data", "read_seed_data", "registry_is_empty"]
