"""What marketers read: a journey's carts, conversions and revenue by release, experiment
arm and holdout, with always-valid intervals (experiments/sequential.py)."""
