import { runService } from "@concord/runtime";
import { mappingConfigSchema } from "./config";
import { createApp } from "./app";

void runService("mapping", mappingConfigSchema, (config, logger) => createApp(config, logger));
