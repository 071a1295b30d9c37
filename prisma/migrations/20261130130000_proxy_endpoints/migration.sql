-- CreateTable
CREATE TABLE "proxy_endpoints" (
    "instance" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "zone" TEXT,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "identity" TEXT,
    "last_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "proxy_endpoints_pkey" PRIMARY KEY ("instance")
);
