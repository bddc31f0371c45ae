/**
 * The pages a learner sees when a launch cannot take them to Coursera. They speak to the
 * learner: what happened and whom to ask, never a gg4l command (that goes to the log and to
 * `gg4l doctor`).
 */
import type { LmsKind } from "../../store/lms.js";

export interface Notice {
  kind: "notice";
  status: number;
  title: string;
  message: string;
  hint: string;
}

/** Where each LMS's admin switches on sharing the launcher's e-mail with the tool (R11). */
export const EMAIL_SETTING: Record<LmsKind, string> = {
  moodle:
    'Moodle: in the Coursera external tool\'s settings, set "Share launcher\'s email with tool" to "Always"',
  canvas:
    'Canvas: set the Coursera developer key\'s privacy level to "public" (Additional Settings › Privacy Level)',
  blackboard: 'Blackboard: in the Coursera tool\'s institution policies, send the user field "Email address"',
  d2l: 'Brightspace (D2L): in the Coursera LTI Advantage tool\'s security settings, tick "Email"',
  schoology:
    "Schoology: in the Coursera app's privacy settings, send the name and e-mail of the user who launches the tool",
  buzz: "Buzz: in the Coursera LTI tool's settings, share the user's e-mail address with the tool",
  "google-classroom": "Google Classroom: share the student's e-mail address with the Coursera tool",
};

export function noEmailNotice(kind: LmsKind, programName: string): Notice {
  return {
    kind: "notice",
    status: 403,
    title: "Your LMS did not share your e-mail address",
    message: `Coursera knows you by the e-mail address your LMS shares when you open a Coursera link, and this launch carried none, so you cannot join the Coursera program "${programName}" yet. Nothing was changed on any Coursera account and no license was used.`,
    hint: `Please tell your instructor or your institution's LMS administrator what to turn on — ${EMAIL_SETTING[kind]} — then open this link again.`,
  };
}

export function testLearnerNotice(programName: string): Notice {
  return {
    kind: "notice",
    status: 403,
    title: "This is a test account",
    message: `Your account is marked as a test learner for Coursera, and test learners do not take a license of the program "${programName}" when they open a link. No license was used.`,
    hint: `If you are a real student, ask your institution's Coursera admin to unmark your account as a test learner for the program "${programName}"; then open this link again.`,
  };
}

export function fullNotice(programName: string): Notice {
  return {
    kind: "notice",
    status: 409,
    title: "No Coursera license left",
    message: `The Coursera program "${programName}" has no licenses left, so you cannot join it yet.`,
    hint: `Please tell your instructor, or ask your institution's Coursera admin to free or add licenses for the program "${programName}"; then open this link again.`,
  };
}

export function courseraDownNotice(programName: string): Notice {
  return {
    kind: "notice",
    status: 502,
    title: "Coursera did not answer",
    message: `You could not be added to the Coursera program "${programName}" just now.`,
    hint: "Open this link again in a few minutes. If it keeps failing, tell your instructor or your institution's LMS administrator.",
  };
}
