CREATE TABLE "conflicts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"mapping_id" integer NOT NULL,
	"entity" text NOT NULL,
	"field" text NOT NULL,
	"crm_value" jsonb,
	"onec_value" jsonb,
	"winner" text NOT NULL,
	"rule" text NOT NULL,
	"message_id" text NOT NULL,
	"trace_id" text,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sync_state" ADD COLUMN "values" jsonb;--> statement-breakpoint
ALTER TABLE "conflicts" ADD CONSTRAINT "conflicts_mapping_id_id_mapping_id_fk" FOREIGN KEY ("mapping_id") REFERENCES "id_mapping"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "conflicts_once_uq" ON "conflicts" USING btree ("mapping_id","field","message_id");--> statement-breakpoint
CREATE INDEX "conflicts_mapping_idx" ON "conflicts" USING btree ("mapping_id");