"""The model: spec types, the expression language, distributions and correlations."""
