"""What the on-call engineer reads: metrics, traces and logs."""
