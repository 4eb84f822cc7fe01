CREATE TABLE "activity" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"story_id" uuid NOT NULL,
	"binding_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"field" text,
	"remote_field" text,
	"rule" text,
	"policy" text,
	"base" jsonb,
	"hub" jsonb,
	"remote" jsonb,
	"written" jsonb,
	"outcome" text NOT NULL,
	"remote_id" text,
	"remote_key" text,
	"run_id" uuid,
	"story_version" integer,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "activity_direction_ck" CHECK ("activity"."direction" in ('pull', 'push', 'create')),
	CONSTRAINT "activity_kind_ck" CHECK ("activity"."kind" in ('field', 'conflict', 'comment', 'file')),
	CONSTRAINT "activity_target_ck" CHECK ("activity"."target" in ('hub', 'remote', 'none'))
);
--> statement-breakpoint
ALTER TABLE "activity" ADD CONSTRAINT "activity_story_id_stories_id_fk" FOREIGN KEY ("story_id") REFERENCES "public"."stories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity" ADD CONSTRAINT "activity_binding_id_bindings_id_fk" FOREIGN KEY ("binding_id") REFERENCES "public"."bindings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "activity_story_idx" ON "activity" USING btree ("story_id","id");--> statement-breakpoint
CREATE INDEX "activity_binding_idx" ON "activity" USING btree ("binding_id","id");--> statement-breakpoint
CREATE INDEX "activity_at_idx" ON "activity" USING btree ("at");