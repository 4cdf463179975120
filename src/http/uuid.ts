/** A uuid in its text form (any version, any case): what a `uuid` column accepts. */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` is a uuid: an `:id` that takes a uuid or a reference (`T-1`, `PW-2`) looks it up
 * by the right column, and a value from outside reaches a `uuid` column only when it is one
 * (anything else would be a database error, not a 404).
 */
export const isUuid = (value: string): boolean => uuidPattern.test(value);
