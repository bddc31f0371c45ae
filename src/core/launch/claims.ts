/** LTI 1.3 / Deep Linking 2.0 claim names and the custom parameters gg4l puts on the links it publishes. */
const LTI = "https://purl.imsglobal.org/spec/lti/claim";
const DL = "https://purl.imsglobal.org/spec/lti-dl/claim";

export const CLAIM = {
  messageType: `${LTI}/message_type`,
  version: `${LTI}/version`,
  deploymentId: `${LTI}/deployment_id`,
  targetLinkUri: `${LTI}/target_link_uri`,
  resourceLink: `${LTI}/resource_link`,
  roles: `${LTI}/roles`,
  context: `${LTI}/context`,
  custom: `${LTI}/custom`,
  agsEndpoint: "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
  nrps: "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
  deepLinkingSettings: `${DL}/deep_linking_settings`,
  dlContentItems: `${DL}/content_items`,
  dlData: `${DL}/data`,
  dlMsg: `${DL}/msg`,
} as const;

export const RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest";
export const DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest";
export const DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse";
export const LTI_VERSION = "1.3.0";

/** Custom parameters of a published link: what it points at, and the grade-sync option it was published under (R1). */
export const CUSTOM = {
  programId: "coursera_program_id",
  courseId: "coursera_course_id",
  itemId: "coursera_item_id",
  gradeSync: "gg4l_grade_sync",
} as const;
