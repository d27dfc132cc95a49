"""The public contract: what shops send cartnudge and what it answers, as HTTP bodies.

These models are validated strictly at the door and documented in the OpenAPI spec. They
are not what workflows carry: the intake (intake/) maps them onto workflows.payloads, so
the API can grow without changing a stored workflow history.
"""
