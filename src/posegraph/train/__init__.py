"""Training engine (Lightning)."""
