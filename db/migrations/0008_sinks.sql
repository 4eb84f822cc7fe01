CREATE TABLE "sink_dead_letters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sink_id" uuid NOT NULL,
	"event_id" bigint NOT NULL,
	"error" text NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sink_queue" (
	"sink_id" uuid NOT NULL,
	"event_id" bigint NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sink_queue_sink_id_event_id_pk" PRIMARY KEY("sink_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "sinks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"project_id" uuid,
	"config" jsonb NOT NULL,
	"secrets_sealed" text NOT NULL,
	"state" text DEFAULT 'active' NOT NULL,
	"delivered" bigint DEFAULT 0 NOT NULL,
	"failed" bigint DEFAULT 0 NOT NULL,
	"last_delivered_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sinks_state_ck" CHECK ("sinks"."state" in ('active', 'paused'))
);
--> statement-breakpoint
ALTER TABLE "sink_dead_letters" ADD CONSTRAINT "sink_dead_letters_sink_id_sinks_id_fk" FOREIGN KEY ("sink_id") REFERENCES "public"."sinks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sink_queue" ADD CONSTRAINT "sink_queue_sink_id_sinks_id_fk" FOREIGN KEY ("sink_id") REFERENCES "public"."sinks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sinks" ADD CONSTRAINT "sinks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sink_dead_letters_sink_idx" ON "sink_dead_letters" USING btree ("sink_id","state","created_at");