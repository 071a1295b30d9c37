-- CreateTable
CREATE TABLE "spans" (
    "span_id" TEXT NOT NULL,
    "trace_id" TEXT NOT NULL,
    "parent_span_id" TEXT,
    "kind" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "peer_service" TEXT,
    "name" TEXT NOT NULL,
    "start_time" TIMESTAMP(3) NOT NULL,
    "duration_ms" DOUBLE PRECISION NOT NULL,
    "status" INTEGER NOT NULL,
    "error" BOOLEAN NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "spans_pkey" PRIMARY KEY ("span_id")
);

-- CreateIndex
CREATE INDEX "spans_trace_id_idx" ON "spans"("trace_id");

-- CreateIndex
CREATE INDEX "spans_service_start_time_idx" ON "spans"("service", "start_time" DESC);

-- CreateIndex
CREATE INDEX "spans_start_time_idx" ON "spans"("start_time" DESC);

-- CreateIndex
CREATE INDEX "spans_duration_ms_idx" ON "spans"("duration_ms");
