CREATE TABLE "outbox_pending" (
	"event_id" bigint PRIMARY KEY NOT NULL
);
--> statement-breakpoint
INSERT INTO "outbox_pending" ("event_id") SELECT "id" FROM "outbox_events" WHERE "relayed_at" IS NULL;--> statement-breakpoint
DROP INDEX "outbox_unrelayed_idx";--> statement-breakpoint
ALTER TABLE "outbox_events" DROP COLUMN "relayed_at";--> statement-breakpoint
-- Long values (a story's description, and the copies of it an outbox event, an explain entry and a
-- link's snapshot keep) are compressed with lz4 rather than pglz, which spent several times the CPU on
-- every row past 2 kB. Only new values change; a server built without lz4 keeps pglz.
DO $$
BEGIN
  ALTER TABLE "stories" ALTER COLUMN "description" SET COMPRESSION lz4;
  ALTER TABLE "comments" ALTER COLUMN "body" SET COMPRESSION lz4;
  ALTER TABLE "external_links" ALTER COLUMN "snapshot" SET COMPRESSION lz4;
  ALTER TABLE "outbox_events" ALTER COLUMN "changes" SET COMPRESSION lz4;
  ALTER TABLE "activity" ALTER COLUMN "base" SET COMPRESSION lz4;
  ALTER TABLE "activity" ALTER COLUMN "hub" SET COMPRESSION lz4;
  ALTER TABLE "activity" ALTER COLUMN "remote" SET COMPRESSION lz4;
  ALTER TABLE "activity" ALTER COLUMN "written" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available on this server: long values stay compressed with pglz';
END $$;
