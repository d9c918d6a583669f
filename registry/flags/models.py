"""Models of the flags feature (none yet)."""
