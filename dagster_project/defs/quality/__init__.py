"""quality definitions."""
