"""Pure domain of the scheduler: no I/O, no database, no clock."""
