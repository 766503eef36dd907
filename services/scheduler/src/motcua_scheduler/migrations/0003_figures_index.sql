-- Slots by start time whatever their status, for the ward figures (SchedulerService.GetFigures).
CREATE INDEX slot_starts_at_idx ON slot (starts_at);
