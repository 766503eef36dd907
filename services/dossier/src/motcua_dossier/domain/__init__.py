"""Pure domain of the dossier registry: codes, working calendar, lifecycle, linked procedures. No I/O."""
