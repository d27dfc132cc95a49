"""Unique coupon codes, one per customer and send step: made by the shop's platform
(Shopify, WooCommerce) or claimed from the shop's pool, right before the message renders."""
