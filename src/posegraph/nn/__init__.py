"""Graph layers, one operator per module, each with its equation in the docstring."""
