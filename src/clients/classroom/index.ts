export { ClassroomClient, type ClassroomClientOptions } from "./client.js";
export { ClassroomError, type ClassroomErrorKind } from "./errors.js";
export {
  ClassroomGradebook,
  type ClassroomGradebookOptions,
  columnRefOf,
  containerRefOf,
  markerOf,
  parseColumnRef,
  parseContainerRef,
} from "./gradebook.js";
export {
  GOOGLE_CLASSROOM_API,
  GOOGLE_TOKEN_URL,
  parseServiceAccountKey,
  type ServiceAccountKey,
} from "./key.js";
export { CLASSROOM_SCOPES, ClassroomTokenProvider } from "./token.js";
export type * from "./types.js";
