import { randomUUID } from "node:crypto";
import type { OriginateParams } from "../../core/hooks/api.ts";
import { AriHttpError } from "../ari/rest.ts";
import type { CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import { originateFailed } from "../calls/originateDiagnostics.ts";
import type { CallSession } from "../calls/session.ts";
import { onOriginateFailedHook, originateParams, runAppHook } from "../hooks/appHooks.ts";
import { dialableNumberProblem, trunkOriginate } from "./trunkOriginate.ts";

/**
 * THE way the app dials a client through the trunk — an operator's outbound call, click-to-call once
 * the user answered, a callback once an operator took it: the number as the trunk dials it
 * (`numbers.clientRewrite`, then `normalizeClientNumber`), the caller id, `beforeOriginate`
 * (purpose `trunk`), then create + dial from inside Stasis (`client,<callId>`). The answer comes as
 * Dial ANSWER (`clientAnswered.ts`); a leg that fails by itself is decoded where it ends
 * (`calls/ending.ts`); a leg ARI refuses is decoded here. Either way the call model gets the decoded
 * failure, so the CRM finish carries its STATUS_CODE and FAILED_REASON and `/status` counts it.
 */
export interface ClientDial {
  /** The client's number as the call has it: `normalizeClientNumber`'s `raw`. */
  raw: string;
  /** The number after `numbers.clientRewrite`, when the caller rewrote it already (click-to-call, at the click). */
  rewritten?: string;
  /** The answered channel that waits for the client: the new leg's originator (linkedid). */
  originator: string;
  /** The extension that places the call (beforeOriginate's `extension`); null: nobody's own. */
  extension: string | null;
  /** Empty: the trunk's own caller id. */
  callerId: string;
  timeoutSec: number;
}

export async function dialClient(ctx: CallContext, call: CallSession, dial: ClientDial): Promise<void> {
  const number = await dialledNumber(ctx, call, dial);
  const own = trunkOriginate({
    dialString: ctx.config.routing.trunkDialString,
    number,
    callerId: dial.callerId,
    timeoutSec: dial.timeoutSec,
  });
  const params = await trunkParams(ctx, call, { extension: dial.extension, number }, own);
  const clientId = await clientChannel(call);
  call.log.info(
    { to: number, endpoint: params.endpoint, callerId: params.callerId || undefined },
    "dialling the client on the trunk",
  );
  try {
    await ctx.rest.dialOut({
      ...params,
      channelId: clientId,
      app: ctx.config.ari.app,
      appArgs: `client,${call.callId}`,
      originator: dial.originator,
    });
  } catch (err) {
    const status = err instanceof AriHttpError ? err.status : 0;
    const error = (err as Error).message;
    onOriginateFailedHook(ctx, call, { purpose: "trunk", endpoint: params.endpoint, status, error });
    await clientDialFailed(ctx, call, err, number);
  }
}

/** ARI refused to create or dial the client's trunk leg: decoded, logged, counted; the call ends. */
export async function clientDialFailed(
  ctx: CallContext,
  call: CallSession,
  err: unknown,
  number = "",
): Promise<void> {
  const ariStatus = err instanceof AriHttpError ? err.status : 0;
  call.log.warn({ err: (err as Error).message }, "dialling the client on the trunk failed");
  const clientFailure = originateFailed(ctx, call, { side: "client", ariStatus }, number);
  await call.change((c) => (c.clientGone = true));
  await endCall(ctx, call, { clientResult: "unavailable", hangupBy: "system", clientFailure });
}

async function dialledNumber(ctx: CallContext, call: CallSession, dial: ClientDial): Promise<string> {
  const rewritten = dial.rewritten ?? ctx.normalise(dial.raw);
  const input = { raw: dial.raw, purpose: "dial" as const };
  return withDefault(call, "normalizeClientNumber", rewritten, () =>
    runAppHook(ctx, call, "normalizeClientNumber", input, rewritten, dialableNumberProblem),
  );
}

async function trunkParams(
  ctx: CallContext,
  call: CallSession,
  who: { extension: string | null; number: string },
  own: OriginateParams,
): Promise<OriginateParams> {
  const fallback = { ...own, variables: { ...own.variables } };
  return withDefault(call, "beforeOriginate", fallback, () => originateParams(ctx, call, "trunk", who, own));
}

/**
 * The hook runner already isolates a throwing or slow customization (logged with the call id, the
 * connector's value used); this guards the dial against the runner itself failing.
 */
async function withDefault<T>(call: CallSession, point: string, value: T, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    call.log.warn(
      { hook: point, err: (err as Error).message },
      `hook ${point} failed; dialling with the default`,
    );
    return value;
  }
}

/** The client's channel id: set by the caller (outbound: at the start), else a new one, indexed now. */
async function clientChannel(call: CallSession): Promise<string> {
  const existing = call.ctl.clientChannelId;
  if (existing) return existing;
  const clientId = randomUUID();
  call.bind(clientId);
  await call.change((c) => (c.clientChannelId = clientId));
  return clientId;
}
