-- traces.search filters by status (one code, or errors only); both were full scans of the spans table.
-- CreateIndex
CREATE INDEX "spans_status_idx" ON "spans"("status");

-- CreateIndex
CREATE INDEX "spans_error_start_time_idx" ON "spans"("error", "start_time" DESC);
