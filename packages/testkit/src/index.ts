export { testNatsUrl, testDatabaseUrl, uniqueNamespace, freePort, waitFor } from "./env";
