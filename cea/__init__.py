"""cea: cost-effectiveness analysis with cohort Markov models."""

__version__ = "0.1.0"
