CREATE TABLE "failure_groups" (
	"key" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"state" text NOT NULL,
	"changed_by" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"note" text
);
--> statement-breakpoint
CREATE INDEX "dead_letters_trace_idx" ON "dead_letters" USING btree ("trace_id");--> statement-breakpoint
CREATE INDEX "exchange_log_created_number_idx" ON "exchange_log" USING btree ((substring("detail" from '^order created as ([^,]+),'))) WHERE "exchange_log"."result" = 'created';--> statement-breakpoint
CREATE INDEX "sync_state_number_idx" ON "sync_state" USING btree (("values"->>'number'));--> statement-breakpoint
CREATE INDEX "sync_state_inn_idx" ON "sync_state" USING btree (("values"->>'inn'));