CREATE TABLE "decisions" (
	"id" serial PRIMARY KEY NOT NULL,
	"mapping_id" integer NOT NULL,
	"source_system" text NOT NULL,
	"source_entity" text NOT NULL,
	"source_id" text NOT NULL,
	"target_system" text NOT NULL,
	"target_entity" text NOT NULL,
	"summary" text NOT NULL,
	"reason" text NOT NULL,
	"candidates" jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"action" text,
	"chosen_id" text,
	"decided_by" text,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "id_mapping" ADD COLUMN "decision" text;--> statement-breakpoint
ALTER TABLE "id_mapping" ADD COLUMN "decision_target" text;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_mapping_id_id_mapping_id_fk" FOREIGN KEY ("mapping_id") REFERENCES "id_mapping"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "decisions_open_uq" ON "decisions" USING btree ("mapping_id") WHERE "decisions"."status" = 'open';--> statement-breakpoint
CREATE INDEX "decisions_status_idx" ON "decisions" USING btree ("status","opened_at");