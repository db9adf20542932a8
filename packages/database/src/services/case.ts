/** snake_case → camelCase (`user_id` → `userId`, `activity_hour_07` → `activityHour07`). */
export const toCamel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
/** camelCase → snake_case, the inverse of {@link toCamel} for the schema's names. */
export const toSnake = (s: string): string => s.replace(/([A-Z])|(?<=[a-z])(\d+)/g, (_m, up?: string, digits?: string) => (up ? `_${up.toLowerCase()}` : `_${digits}`));

/** A stored row with camelCase keys, as the services return it. */
export function camelRow<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[toCamel(k)] = v;
  return out as T;
}
