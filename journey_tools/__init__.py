"""The marketer's tools around journey files: preview, simulate, diff (`cartnudge journeys ...`)."""
