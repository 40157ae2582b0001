/**
 * The CRM decisions: named pure functions of a CallState. Each is a stage the customization hooks wrap;
 * none does I/O.
 */
export type { UserDirectory } from "./userDirectory.ts";
export { talkDurationSec } from "./talkDuration.ts";
export { responsibleUser, legsByDialTime } from "./responsibleUser.ts";
export type { ResponsibleUser, ResponsibleUserOptions } from "./responsibleUser.ts";
export { statusCode, callOutcome, STATUS_CODE_BY_OUTCOME } from "./statusCode.ts";
export type { CallOutcome, StatusCode } from "./statusCode.ts";
export { cardAudience } from "./cardAudience.ts";
export { connectFailure, failedReason } from "./failedReason.ts";
export type { ConnectFailure } from "./failedReason.ts";
export { registerUser } from "./registerUser.ts";
export type { RegisterUser, RegisterUserOptions } from "./registerUser.ts";
export { isCrmCall, callIsOver } from "./callScope.ts";
export type { CrmCallOptions } from "./callScope.ts";
export { ivrMissedNotice } from "./ivrMissedNotice.ts";
export type { IvrMissedNotice } from "./ivrMissedNotice.ts";
