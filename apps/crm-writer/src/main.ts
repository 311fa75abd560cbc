import { runService } from "@concord/runtime";
import { crmWriterConfigSchema } from "./config";
import { createApp } from "./app";

void runService("crm-writer", crmWriterConfigSchema, (config, logger) => createApp(config, logger));
