"""The statistics of A/B experiments: always-valid comparisons and the sample-ratio check."""
