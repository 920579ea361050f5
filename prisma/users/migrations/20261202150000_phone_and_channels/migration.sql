-- AlterTable
ALTER TABLE "users" ADD COLUMN     "notify_by_email" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "notify_by_sms" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "phone" TEXT;
