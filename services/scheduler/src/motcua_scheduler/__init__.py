"""Một Cửa scheduler service."""
