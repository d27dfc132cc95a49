"""Experiments: sticky arms and the holdout, their statistics, and decisions."""
