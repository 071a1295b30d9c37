-- CreateTable
CREATE TABLE "join_tokens" (
    "id" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),
    "last_used_at" TIMESTAMP(3),
    "uses" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "join_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "issued_certificates" (
    "serial" TEXT NOT NULL,
    "identity" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "instance" TEXT NOT NULL,
    "token_id" TEXT,
    "root_id" TEXT NOT NULL,
    "not_before" TIMESTAMP(3) NOT NULL,
    "not_after" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "issued_certificates_pkey" PRIMARY KEY ("serial")
);

-- CreateIndex
CREATE INDEX "issued_certificates_not_after_idx" ON "issued_certificates"("not_after");

-- CreateIndex
CREATE INDEX "issued_certificates_token_id_idx" ON "issued_certificates"("token_id");
