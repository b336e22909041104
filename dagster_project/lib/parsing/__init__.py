"""The pure parsing core: report file → tables, metadata and checks (CONTRACT §3). No dagster here."""

from .api import iter_files, parse_bytes, parse_file, parse_many

__all__ = ["parse_bytes", "parse_file", "parse_many", "iter_files"]
