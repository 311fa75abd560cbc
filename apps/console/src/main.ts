import { runService } from "@concord/runtime";
import { consoleConfigSchema } from "./config";
import { createApp } from "./app";

void runService("console", consoleConfigSchema, (config, logger) => createApp(config, logger));
