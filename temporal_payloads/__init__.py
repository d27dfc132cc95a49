"""What cartnudge's payloads look like on Temporal's wire and in its database."""
