"""Stored per-record figures: what the supplier, buyer and framework pages show of their published
contracts, worked out set-based by `registry detect` and refreshed in the writing transaction for
the records a web write touches (registry.figures.hooks), so those pages do not grow with the
number of contracts (issue 21)."""
