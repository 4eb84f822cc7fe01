ALTER TABLE "activity" DROP CONSTRAINT "activity_kind_ck";--> statement-breakpoint
ALTER TABLE "activity" ADD COLUMN "rules" jsonb;--> statement-breakpoint
ALTER TABLE "activity" ADD CONSTRAINT "activity_kind_ck" CHECK ("activity"."kind" in ('field', 'conflict', 'comment', 'file', 'delete', 'create'));