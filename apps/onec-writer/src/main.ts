import { runService } from "@concord/runtime";
import { onecWriterConfigSchema } from "./config";
import { createApp } from "./app";

void runService("onec-writer", onecWriterConfigSchema, (config, logger) => createApp(config, logger));
