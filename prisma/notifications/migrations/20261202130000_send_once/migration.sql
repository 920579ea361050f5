-- AlterEnum
ALTER TYPE "DeliveryStatus" ADD VALUE 'SENDING';

-- AlterTable
ALTER TABLE "notifications" ADD COLUMN     "claim_token" UUID;
