"""Journey releases: published versions frozen by content, what is live, and the worker's copy."""
