"""google package."""
