-- CreateTable
CREATE TABLE "ca_objects" (
    "name" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ca_objects_pkey" PRIMARY KEY ("name")
);
