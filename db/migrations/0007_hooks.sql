CREATE TABLE "hook_firings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"point" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hook_runs" (
	"firing_id" bigint NOT NULL,
	"plugin" text NOT NULL,
	"hook" text NOT NULL,
	"point" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer NOT NULL,
	"error" text,
	"fired_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hook_runs_firing_id_plugin_hook_pk" PRIMARY KEY("firing_id","plugin","hook"),
	CONSTRAINT "hook_runs_status_ck" CHECK ("hook_runs"."status" in ('succeeded', 'retrying', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "hook_runs_updated_idx" ON "hook_runs" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "hook_runs_status_idx" ON "hook_runs" USING btree ("status","updated_at");