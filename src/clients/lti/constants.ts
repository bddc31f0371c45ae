/** LTI Advantage scopes and media types (reference/lti-ags.md §4.2–§4.3, §5). */
export const AGS_SCOPE = {
  lineitem: "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
  lineitemReadonly: "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
  resultReadonly: "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
  score: "https://purl.imsglobal.org/spec/lti-ags/scope/score",
} as const;

export const NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";

/** Every AGS scope; `lineitem.readonly` is requested too because Moodle needs it for GETs. */
export const ALL_AGS_SCOPES: readonly string[] = [
  AGS_SCOPE.lineitem,
  AGS_SCOPE.lineitemReadonly,
  AGS_SCOPE.resultReadonly,
  AGS_SCOPE.score,
];

export const MEDIA_TYPE = {
  lineitem: "application/vnd.ims.lis.v2.lineitem+json",
  lineitemContainer: "application/vnd.ims.lis.v2.lineitemcontainer+json",
  score: "application/vnd.ims.lis.v1.score+json",
  resultContainer: "application/vnd.ims.lis.v2.resultcontainer+json",
  membershipContainer: "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
} as const;

export const CANVAS_SUBMISSION_EXTENSION = "https://canvas.instructure.com/lti/submission";
