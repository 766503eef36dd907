"""The catalogue domain: pure dataclasses, text folding, search planning, errors. No I/O."""
