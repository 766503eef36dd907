"""Local fakes of the providers (`python -m motcua_notification fakes`)."""
