"""Products to show beside a cart, learned nightly from the shop's orders.

co_occurrence.py  the method: products bought together, ranked by lift; popular ones
choosing.py       a cart's list from the stored lists; dropping unavailable products
source.py         `recommendations_for`: what a send asks for
refresh.py        one shop recomputed: read orders, learn, replace its stored lists
"""
