"""Square connector."""
