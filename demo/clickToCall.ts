import type { TestbedInfo } from "./stack.ts";

/**
 * The demo's click-to-call: manager 107 (user 8 in the emulator's seed) clicks a number in the CRM.
 * The emulator fires ONEXTERNALCALLSTART to the app's `/bitrix/events` the way the portal does; 107's
 * phone rings and answers, the client on the trunk answers, and after a few seconds the manager hangs
 * up (the demo ends the call through ARI: sipp phones wait for the other side). The portal's CALL_ID
 * must then be finished with 200 — one CRM call, not two.
 */
const CLICK_USER = 8;
const CLICK_EXTENSION = "107";
const CLICK_NUMBER = "+74951999001";
const TALK_MS = 4000;

/** The click-to-call's CRM call, checked on its own (not one of the mix's placed calls). */
export function isDemoClick(call: { PHONE_NUMBER?: string | null }): boolean {
  return (call.PHONE_NUMBER ?? "").replace(/\D/g, "").endsWith(CLICK_NUMBER.slice(-10));
}

export interface ClickResult {
  ok: boolean;
  line: string;
}

export async function demoClickToCall(
  portalUrl: string,
  appUrl: string,
  testbed: TestbedInfo,
): Promise<ClickResult> {
  await fetch(`${portalUrl}/rest/event.bind`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: "demo-access-token",
      event: "ONEXTERNALCALLSTART",
      handler: `${appUrl}/bitrix/events`,
    }),
  });
  const fired = (await (
    await fetch(`${portalUrl}/_emulator/events/fire`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        event: "ONEXTERNALCALLSTART",
        data: { USER_ID: String(CLICK_USER), PHONE_NUMBER: CLICK_NUMBER },
      }),
    })
  ).json()) as { CALL_ID?: string; delivered?: number };
  if (!fired.CALL_ID) return { ok: false, line: "click-to-call: the emulator did not fire the event" };
  await hangUpAfterTalk(testbed);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const calls =
      ((await (await fetch(`${portalUrl}/_emulator/state`)).json()) as { calls?: PortalCall[] }).calls ?? [];
    const mine = calls.filter((c) => c.PHONE_NUMBER.endsWith(CLICK_NUMBER.slice(-10)));
    const done = mine.find((c) => c.CALL_ID === fired.CALL_ID && c.state === "finished");
    if (done) {
      const ok =
        done.finish?.STATUS_CODE === "200" && mine.length === 1 && done.finish.USER_ID === CLICK_USER;
      return {
        ok,
        line: `click-to-call: user ${CLICK_USER} (${CLICK_EXTENSION}) → ${CLICK_NUMBER}: CALL_ID ${fired.CALL_ID} finished ${done.finish?.STATUS_CODE}, ${done.finish?.DURATION} s, ${mine.length} CRM call(s)${ok ? "" : " — WRONG"}`,
      };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ok: false, line: `click-to-call: CALL_ID ${fired.CALL_ID} not finished within 30 s` };
}

interface PortalCall {
  CALL_ID: string;
  PHONE_NUMBER: string;
  state: string;
  finish: { STATUS_CODE: string; DURATION: number; USER_ID: number } | null;
}

/** Waits until 107 talks, lets it talk, then hangs its channel up (the manager puts the phone down). */
async function hangUpAfterTalk(testbed: TestbedInfo): Promise<void> {
  const auth = "Basic " + Buffer.from(`${testbed.ari.user}:${testbed.ari.password}`).toString("base64");
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const channels = (await (
      await fetch(`${testbed.ari.url}/ari/channels`, { headers: { authorization: auth } })
    ).json()) as {
      id: string;
      name: string;
      state: string;
    }[];
    const mine = channels.find((c) => c.name.startsWith(`PJSIP/${CLICK_EXTENSION}-`) && c.state === "Up");
    const bridged = channels.filter((c) => c.state === "Up").length >= 2;
    if (mine && bridged) {
      await new Promise((r) => setTimeout(r, TALK_MS));
      await fetch(`${testbed.ari.url}/ari/channels/${mine.id}`, {
        method: "DELETE",
        headers: { authorization: auth },
      });
      return;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
