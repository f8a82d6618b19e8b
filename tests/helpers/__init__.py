"""Shared test helpers: model builders, the slow reference engine, paths."""
