"""cartnudge journeys preview, simulate and diff."""
