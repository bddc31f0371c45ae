export { CourseraClient, type CourseraClientOptions } from "./client.js";
export { CourseraApiError } from "./errors.js";
export { Paged } from "./paging.js";
export type * from "./types.js";
export { ErrorCodes, MAX_PAGE_SIZE } from "./wire.js";
