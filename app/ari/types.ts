/**
 * The subset of ARI (Asterisk 22, ARI 10) objects and events the app uses, as a discriminated union on
 * `type`. Hand-written: the api-docs are Swagger 1.1, which generators cannot read.
 */

export interface AriChannel {
  id: string;
  name: string;
  state: string;
  caller: { name: string; number: string };
  connected?: { name: string; number: string };
  dialplan?: { context: string; exten: string; priority: number; app_name?: string; app_data?: string };
  creationtime?: string;
  /** Only with `channelvars=` in ari.conf, e.g. `{"CHANNEL(linkedid)": "…"}`. */
  channelvars?: Record<string, string>;
}

export interface AriBridge {
  id: string;
  technology?: string;
  bridge_type?: string;
  bridge_class?: string;
  channels: string[];
  name?: string;
}

export interface AriLiveRecording {
  name: string;
  format: string;
  target_uri?: string;
  state: string;
  duration?: number;
  talking_duration?: number;
  cause?: string;
}

export interface AriEndpoint {
  technology: string;
  resource: string;
  state?: "unknown" | "offline" | "online";
  channel_ids: string[];
}

interface Base {
  timestamp?: string;
  application?: string;
}

export type AriEvent =
  | (Base & { type: "StasisStart"; args: string[]; channel: AriChannel; replace_channel?: AriChannel })
  | (Base & { type: "StasisEnd"; channel: AriChannel })
  | (Base & { type: "ChannelCreated"; channel: AriChannel })
  | (Base & { type: "ChannelDialplan"; channel: AriChannel; dialplan_app: string; dialplan_app_data: string })
  | (Base & { type: "ChannelStateChange"; channel: AriChannel })
  | (Base & { type: "Dial"; peer: AriChannel; caller?: AriChannel; dialstatus: string; dialstring?: string })
  | (Base & { type: "ChannelHangupRequest"; channel: AriChannel; cause?: number; soft?: boolean })
  | (Base & {
      type: "ChannelDestroyed";
      channel: AriChannel;
      cause: number;
      cause_txt: string;
      tech_cause?: number;
    })
  | (Base & { type: "ChannelEnteredBridge"; channel: AriChannel; bridge: AriBridge })
  | (Base & { type: "ChannelLeftBridge"; channel: AriChannel; bridge: AriBridge })
  | (Base & { type: "ChannelDtmfReceived"; channel: AriChannel; digit: string; duration_ms: number })
  | (Base & { type: "BridgeDestroyed"; bridge: AriBridge })
  | (Base & {
      type: "BridgeBlindTransfer";
      channel: AriChannel;
      replace_channel?: AriChannel;
      transferee?: AriChannel;
      exten: string;
      context: string;
      result: string;
      is_external: boolean;
      bridge?: AriBridge;
    })
  | (Base & {
      type: "BridgeAttendedTransfer";
      transferer_first_leg: AriChannel;
      transferer_second_leg: AriChannel;
      replace_channel?: AriChannel;
      transferee?: AriChannel;
      transfer_target?: AriChannel;
      result: string;
      is_external: boolean;
      transferer_first_leg_bridge?: AriBridge;
      transferer_second_leg_bridge?: AriBridge;
      destination_type: string;
      destination_bridge?: string;
    })
  | (Base & { type: "RecordingStarted"; recording: AriLiveRecording })
  | (Base & { type: "RecordingFinished"; recording: AriLiveRecording })
  | (Base & { type: "RecordingFailed"; recording: AriLiveRecording });

export type AriEventType = AriEvent["type"];

const KNOWN: ReadonlySet<string> = new Set<AriEventType>([
  "StasisStart",
  "StasisEnd",
  "ChannelCreated",
  "ChannelDialplan",
  "ChannelStateChange",
  "Dial",
  "ChannelHangupRequest",
  "ChannelDestroyed",
  "ChannelEnteredBridge",
  "ChannelLeftBridge",
  "ChannelDtmfReceived",
  "BridgeDestroyed",
  "BridgeBlindTransfer",
  "BridgeAttendedTransfer",
  "RecordingStarted",
  "RecordingFinished",
  "RecordingFailed",
]);

/** Narrows a raw websocket message to the events the app handles; anything else is ignored. */
export function asAriEvent(raw: unknown): AriEvent | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const type = (raw as { type?: unknown }).type;
  return typeof type === "string" && KNOWN.has(type) ? (raw as AriEvent) : undefined;
}
