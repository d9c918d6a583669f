"""Models of the opendata feature (none yet)."""
