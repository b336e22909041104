"""publish definitions."""
