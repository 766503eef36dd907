"""Một Cửa catalogue service."""
