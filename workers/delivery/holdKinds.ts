/**
 * What kind of fix a hold waits for, from the code that caused it (PURE). `/status` shows it next to
 * the code, so monitoring can tell "renew the token" from "call Bitrix support".
 */
export type HoldKind =
  | "credentials" // webhook secret, token, refresh token, app: give the connector working credentials
  | "token_file" // offline mode: no usable token in the token files
  | "rights" // scope, auth type, access: grant what the connector needs
  | "blocked" // OVERLOAD_LIMIT, payment: the portal's owner or Bitrix support must lift it
  | "request" // 408/413: the server in front of the portal refuses our requests
  | "address" // the REST URL does not lead to a portal
  | "unreachable"; // no answer at all for a while

const KINDS: [HoldKind, RegExp][] = [
  [
    "credentials",
    /^(invalid_credentials|invalid_token|expired_token|no_auth_found|invalid_grant|invalid_client|unauthorized)$/i,
  ],
  ["token_file", /^no_valid_token$/i],
  [
    "rights",
    /^(insufficient_scope|invalid_scope|wrong_auth_type|access_denied|user_access_error|method_confirm_waiting|http_403)$/i,
  ],
  ["blocked", /^(overload_limit|payment_required)$/i],
  ["request", /^http_(408|413)$/i],
  ["address", /^error_method_not_found$/i],
  ["unreachable", /^portal_unreachable$/i],
];

export function holdKind(code: string): HoldKind {
  return KINDS.find(([, pattern]) => pattern.test(code))?.[0] ?? "rights";
}
