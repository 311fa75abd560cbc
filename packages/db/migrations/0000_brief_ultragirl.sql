CREATE TABLE "exchange_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"outcome_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"stage" text NOT NULL,
	"message_id" text NOT NULL,
	"system" text NOT NULL,
	"entity" text NOT NULL,
	"record_id" text NOT NULL,
	"target_system" text,
	"target_entity" text,
	"target_id" text,
	"result" text NOT NULL,
	"detail" text NOT NULL,
	"attempts" integer NOT NULL,
	"duration_ms" integer NOT NULL,
	"trace_id" text
);
--> statement-breakpoint
CREATE TABLE "id_mapping" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_system" text NOT NULL,
	"source_entity" text NOT NULL,
	"source_id" text NOT NULL,
	"target_system" text NOT NULL,
	"target_entity" text NOT NULL,
	"target_id" text,
	"state" text DEFAULT 'claimed' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"confirmed_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"lease_owner" text,
	"lease_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sync_state" (
	"mapping_id" integer NOT NULL,
	"side" text NOT NULL,
	"last_version" text,
	"last_hash" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_state_mapping_id_side_pk" PRIMARY KEY("mapping_id","side")
);
--> statement-breakpoint
ALTER TABLE "sync_state" ADD CONSTRAINT "sync_state_mapping_id_id_mapping_id_fk" FOREIGN KEY ("mapping_id") REFERENCES "id_mapping"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "exchange_log_outcome_uq" ON "exchange_log" USING btree ("outcome_id");--> statement-breakpoint
CREATE INDEX "exchange_log_record_idx" ON "exchange_log" USING btree ("system","entity","record_id");--> statement-breakpoint
CREATE INDEX "exchange_log_target_idx" ON "exchange_log" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "exchange_log_trace_idx" ON "exchange_log" USING btree ("trace_id");--> statement-breakpoint
CREATE UNIQUE INDEX "id_mapping_source_uq" ON "id_mapping" USING btree ("source_system","source_entity","source_id","target_system");--> statement-breakpoint
CREATE UNIQUE INDEX "id_mapping_target_uq" ON "id_mapping" USING btree ("target_system","target_entity","target_id") WHERE "id_mapping"."target_id" is not null;