export type CrmKind = "CONTACT" | "COMPANY" | "LEAD";
export type AuthKind = "webhook" | "oauth" | "offline";

export interface UserRecord {
  ID: number;
  NAME: string;
  LAST_NAME: string;
  UF_PHONE_INNER?: string;
  ACTIVE: boolean;
  [field: string]: unknown;
}

export interface CrmPhone {
  ID: number;
  VALUE_TYPE: string;
  VALUE: string;
  TYPE_ID: "PHONE";
}

export interface CrmRecord {
  ID: number;
  PHONE: CrmPhone[];
  ASSIGNED_BY_ID?: number;
  [field: string]: unknown;
}

export interface CardEvent {
  action: "show" | "hide";
  userId: number;
  at: number;
}

export interface RecordAttachment {
  fileName: string;
  size: number;
  via: "base64" | "url" | "upload";
  fileId: number;
  at: number;
  url?: string;
}

export interface FinishInfo {
  USER_ID: number;
  DURATION: number;
  COST: number;
  COST_CURRENCY: string;
  STATUS_CODE: string;
  FAILED_REASON: string;
  VOTE: number | null;
  ADD_TO_CHAT: number;
  RECORD_URL?: string;
  finishedAt: number;
}

export interface CallRecord {
  CALL_ID: string;
  EXTERNAL_CALL_ID: string;
  USER_ID: number;
  USER_PHONE_INNER: string;
  PHONE_NUMBER: string;
  TYPE: number;
  LINE_NUMBER: string;
  CALL_START_DATE: string;
  CRM_CREATE: number;
  CRM_SOURCE: string;
  CRM_ENTITY_TYPE: CrmKind | null;
  CRM_ENTITY_ID: number | null;
  CRM_CREATED_LEAD: number | null;
  SHOW: number;
  ADD_TO_CHAT: number;
  CALL_LIST_ID: number;
  appId: string | null;
  internal: boolean;
  registeredAt: number;
  updatedAt: number;
  state: "registered" | "finished";
  cardShownTo: number[];
  cardLog: CardEvent[];
  finish: FinishInfo | null;
  records: RecordAttachment[];
}

export type StatisticRecord = Record<string, unknown> & { ID: number; CALL_ID: string };
export type ActivityRecord = Record<string, unknown> & { ID: number };

export interface RequestLogEntry {
  method: string;
  at: number;
  status: number;
  auth: AuthKind | "none";
  batchSize?: number;
  commands?: string[];
  error?: string;
  durationMs?: number;
  /** The request ran, but its answer was lost on purpose (the `afterRun` fault). */
  answerLost?: "drop" | "hang" | "502" | "html200";
}

export interface EventBinding {
  event: string;
  handler: string;
  auth_type: number;
  offline: boolean;
  appId: string;
}

export interface OfflineEvent {
  ID: number;
  TIMESTAMP_X: string;
  EVENT_NAME: string;
  EVENT_DATA: Record<string, unknown>;
  EVENT_ADDITIONAL: Record<string, unknown>;
  MESSAGE_ID: string;
  appId: string;
  processId: string | null;
}

export interface FiredEvent {
  event: string;
  at: number;
  data: Record<string, unknown>;
  deliveries: { handler: string; status: number | null; error?: string }[];
  queuedOffline: number;
}

export interface ExternalLine {
  ID: number;
  NUMBER: string;
  NAME: string;
  CRM_AUTO_CREATE: "Y" | "N";
  appId: string | null;
}
