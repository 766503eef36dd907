"""Test fixtures: a real PostgreSQL and a real broker, started once per test session."""
