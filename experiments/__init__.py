"""Experiments: sticky arms and the holdout, always-valid statistics, and decisions."""
