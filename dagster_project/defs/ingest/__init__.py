"""ingest definitions."""
