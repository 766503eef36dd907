"""Một Cửa notification service."""
