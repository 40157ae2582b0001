import WebSocket from "ws";

/**
 * A silent second ARI application (`soak-observer`, `subscribeAll`) that only listens: when was each
 * caller's channel in a bridge, by Asterisk's own clock. That is when the client could talk — a phone
 * that answered while the app had not yet bridged it talked to nobody — so the truth of a call
 * (soak/truth.ts) takes its conversations from it. It controls no channel (nothing enters
 * `Stasis(soak-observer)`), so it cannot change what the app does.
 */

export interface BridgedSpan {
  /** First time a channel of this caller entered a bridge (epoch ms, Asterisk's timestamp). */
  from: number;
  /** Last time one left a bridge; absent while still bridged. */
  to?: number;
}

interface AriEventJson {
  type?: string;
  timestamp?: string;
  channel?: { name?: string; caller?: { number?: string } };
}

export class AriObserver {
  private readonly spans = new Map<string, BridgedSpan>();
  private socket?: WebSocket;
  events = 0;

  constructor(
    private readonly ari: { url: string; user: string; password: string },
    /** Only channels whose name starts so (the callers' trunk) are followed. */
    private readonly channelPrefix = "PJSIP/trunk-",
  ) {}

  /** Resolves once the websocket is open (Asterisk has registered the application). */
  start(): Promise<void> {
    const url = new URL("/ari/events", this.ari.url.replace(/^http/, "ws"));
    url.searchParams.set("app", "soak-observer");
    url.searchParams.set("subscribeAll", "true");
    url.searchParams.set("api_key", `${this.ari.user}:${this.ari.password}`);
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.on("message", (data) => this.take(String(data)));
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
  }

  /** Bridged span per caller number. */
  bridged(): Map<string, BridgedSpan> {
    return this.spans;
  }

  stop(): void {
    this.socket?.close();
  }

  private take(text: string): void {
    let e: AriEventJson;
    try {
      e = JSON.parse(text) as AriEventJson;
    } catch {
      return;
    }
    this.events++;
    const number = e.channel?.caller?.number;
    if (!number || !e.channel?.name?.startsWith(this.channelPrefix) || !e.timestamp) return;
    const at = Date.parse(e.timestamp.replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
    if (!Number.isFinite(at)) return;
    const span = this.spans.get(number);
    if (e.type === "ChannelEnteredBridge") {
      if (!span) this.spans.set(number, { from: at });
      else delete span.to;
    } else if (e.type === "ChannelLeftBridge" && span) {
      span.to = at;
    }
  }
}
