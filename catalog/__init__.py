"""The shop's catalog at send time: current prices, stock and images of the cart's items.

One source per file (`shopify.py`, `woocommerce.py`, `endpoint.py`), each an HTTP client
on an injected `httpx.AsyncClient` answering `{sku: ProductNow}` (rendering/live.py) or
raising a `CatalogError` (errors.py); `lookup.py` chooses a shop's source, caches what it
answered for a minute and never lets a failure reach the caller.
"""
