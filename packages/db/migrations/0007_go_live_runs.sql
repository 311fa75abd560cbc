CREATE TABLE "go_live_pages" (
	"run_id" integer NOT NULL,
	"list" text NOT NULL,
	"page" integer NOT NULL,
	"records" jsonb NOT NULL,
	CONSTRAINT "go_live_pages_run_id_list_page_pk" PRIMARY KEY("run_id","list","page")
);
--> statement-breakpoint
CREATE TABLE "go_live_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"entity" text NOT NULL,
	"apply" integer DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"checkpoint" jsonb NOT NULL,
	"applied_up_to" integer DEFAULT 0 NOT NULL,
	"report" jsonb,
	"actor" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "go_live_pages" ADD CONSTRAINT "go_live_pages_run_id_go_live_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "go_live_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "go_live_runs_entity_idx" ON "go_live_runs" USING btree ("kind","entity","started_at");