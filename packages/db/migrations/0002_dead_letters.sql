CREATE TABLE "dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"dlq_stream_seq" bigint NOT NULL,
	"stage" text NOT NULL,
	"subject" text NOT NULL,
	"stream" text NOT NULL,
	"stream_seq" bigint NOT NULL,
	"message_id" text,
	"original" jsonb NOT NULL,
	"error_kind" text NOT NULL,
	"error_code" text NOT NULL,
	"error_message" text NOT NULL,
	"failure_class" text NOT NULL,
	"attempts" integer NOT NULL,
	"first_failed_at" timestamp with time zone NOT NULL,
	"last_failed_at" timestamp with time zone NOT NULL,
	"trace_id" text,
	"flow" text,
	"system" text,
	"entity" text,
	"record_id" text,
	"status" text DEFAULT 'open' NOT NULL,
	"retry_of" bigint,
	"retry_count" integer DEFAULT 0 NOT NULL,
	"retried_at" timestamp with time zone,
	"discarded_at" timestamp with time zone,
	"discard_reason" text,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dead_letters" ADD CONSTRAINT "dead_letters_retry_of_dead_letters_id_fk" FOREIGN KEY ("retry_of") REFERENCES "dead_letters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dead_letters_dlq_seq_uq" ON "dead_letters" USING btree ("dlq_stream_seq");--> statement-breakpoint
CREATE INDEX "dead_letters_status_idx" ON "dead_letters" USING btree ("status","last_failed_at");--> statement-breakpoint
CREATE INDEX "dead_letters_record_idx" ON "dead_letters" USING btree ("system","entity","record_id");--> statement-breakpoint
CREATE INDEX "dead_letters_code_idx" ON "dead_letters" USING btree ("error_code");--> statement-breakpoint
CREATE INDEX "dead_letters_retry_of_idx" ON "dead_letters" USING btree ("retry_of");