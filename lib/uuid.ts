const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is a uuid: anything else names no row, and asked of Postgres would be a query error. */
export const isUuid = (value: string): boolean => UUID.test(value);
