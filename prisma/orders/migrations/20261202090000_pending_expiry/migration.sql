-- CreateEnum
CREATE TYPE "CancellationReason" AS ENUM ('CUSTOMER', 'ADMIN', 'EXPIRED', 'RESERVATION_EXPIRED');

-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "cancellation_reason" "CancellationReason";

-- CreateIndex
CREATE INDEX "orders_status_created_at_idx" ON "orders"("status", "created_at");
