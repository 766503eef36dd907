"""Shared kit of the Một Cửa services. Knows nothing of any domain; imported, never run."""
