-- Indexes for the ward figures (DossierService.GetFigures): receipts by day, results ready by day.
CREATE INDEX dossiers_received_at ON dossiers (received_at);
CREATE INDEX status_history_ready_at ON status_history (at) WHERE to_status = 9;
