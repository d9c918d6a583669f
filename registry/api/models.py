"""Models of the api feature (none yet)."""
