"""Data at rest: shops' credentials encrypted in the database (`cipher.py`).

Not the Temporal payload codec: these keys (CARTNUDGE_DATA_AT_REST_KEYS) only ever
encrypt columns of our own database.
"""
