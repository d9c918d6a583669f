"""Models of the scoring feature (none yet)."""
