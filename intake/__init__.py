"""Use cases of the intake: carts, orders, engagement and consent, from whichever door.

The API routes, the platform webhooks, the bench and the tests call these; each owns its
database transaction and hands the workflow what it must hear (workflows.client).
"""
