"""Pure domain of the notification service: no I/O."""
