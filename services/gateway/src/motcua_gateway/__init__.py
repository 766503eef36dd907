"""Một Cửa gateway: the public HTTP API, channel webhooks and web pages."""
