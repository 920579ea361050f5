-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "confirmed_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "orders_status_confirmed_at_idx" ON "orders"("status", "confirmed_at");
