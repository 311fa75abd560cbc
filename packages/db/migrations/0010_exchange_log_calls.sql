ALTER TABLE "exchange_log" ADD COLUMN "calls" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "exchange_log_at_idx" ON "exchange_log" USING btree ("at");