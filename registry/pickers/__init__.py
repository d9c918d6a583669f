"""Pickers: finding the record a person typed, and suggesting the closest (issue 18)."""
