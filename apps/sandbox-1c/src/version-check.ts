import { VERSION_CHECK_ATTRIBUTE } from "./metadata";
import { odataErrors } from "./odata-error";

/**
 * The ПередЗаписью handler of Concord's optional 1C extension (docs/1c/ConcordVersionCheck.bsl):
 * a write whose body carries the DataVersion the client read is refused when the object has moved
 * on since. The attribute is cleared on every write, so it is never stored. Runs inside the
 * platform's object lock, so the check and the write are one step.
 *
 * @param currentVersion DataVersion of the object as read for writing; null for a new object.
 */
export function checkExpectedVersion(data: Record<string, unknown>, currentVersion: string | null): void {
  const expected = data[VERSION_CHECK_ATTRIBUTE];
  data[VERSION_CHECK_ATTRIBUTE] = "";
  if (currentVersion === null || typeof expected !== "string" || expected === "" || expected === currentVersion) return;
  throw odataErrors.internal(`Concord: объект изменён после чтения: ожидалась версия данных ${expected}, текущая ${currentVersion}`);
}
