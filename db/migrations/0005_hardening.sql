DROP INDEX "bindings_scope_uq";--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "role" text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE "bindings" ADD COLUMN "waiting_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bindings" ADD COLUMN "waiting_reason" text;--> statement-breakpoint
CREATE UNIQUE INDEX "bindings_scope_uq" ON "bindings" USING btree ("project_id","connection_id","scope") WHERE "bindings"."state" <> 'deleted';--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_role_ck" CHECK ("api_tokens"."role" in ('admin', 'read'));