export { checkedRecordId, createBitrix24Client } from "./client";
export { toBatchCommand } from "./batcher";
export type { Bitrix24Client, Bitrix24ClientOptions, Bitrix24ListPage, Bitrix24Record } from "./client";
export { classifyBitrix24Error } from "./classify";
export type { Bitrix24ErrorBody } from "./classify";
export type { Bitrix24RateLimiter } from "./batcher";
