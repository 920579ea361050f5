-- AlterTable
ALTER TABLE "outbox_events" ADD COLUMN     "last_error" TEXT;

-- CreateTable
CREATE TABLE "outbox_dead_letters" (
    "id" UUID NOT NULL,
    "position" BIGINT NOT NULL,
    "order_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "attempts" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "parked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_dead_letters_pkey" PRIMARY KEY ("id")
);

-- attempts used to count claims; from now on it counts refused deliveries, which park an
-- event when they reach OUTBOX_MAX_ATTEMPTS. Undelivered rows start again from 0.
UPDATE "outbox_events" SET "attempts" = 0 WHERE "published_at" IS NULL;
