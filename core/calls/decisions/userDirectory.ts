/**
 * The CRM user directory as the decisions see it: operator extension (as dialled in Asterisk) → Bitrix24
 * user id. The implementation (workers/, cached `user.get` UF_PHONE_INNER) already applies the admin's
 * user-number rewriting; an extension that is not a CRM user (e.g. a Support group) maps to undefined.
 */
export interface UserDirectory {
  userIdByExtension(extension: string): number | undefined;
}
