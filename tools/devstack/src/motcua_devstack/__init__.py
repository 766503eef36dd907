"""Runs the whole Một Cửa system on one machine."""
