"""Embedded PostgreSQL and Kafka-wire broker for `make run` and the tests."""
