import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * An HTTP proxy between the workers and the Bitrix24 emulator that lets a request REACH the emulator
 * (so the portal runs the batch) and then loses the answer in a chosen way — what a flaky network, a
 * load balancer or a portal under load do to a connector:
 * - `hold`: the answer never comes; the client times out (the socket stays open until it gives up);
 * - `reset`: the connection is reset (TCP RST) once the portal has answered;
 * - `502`: a load balancer's "Bad Gateway" HTML page instead of the answer;
 * - `html200`: a 200 with an HTML page (a captive portal, a maintenance page) instead of JSON;
 * - `pass`: the real answer (with `forwardAfterMs`, a slow portal).
 * With `answerFirst`, the client gets the fault at once and the request reaches the portal only
 * `forwardAfterMs` later: the portal runs it after the client gave up.
 * Requests no rule takes pass through untouched.
 */

export type FaultAnswer = "pass" | "hold" | "reset" | "502" | "html200";

export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
}

export interface FaultRule {
  /** Names the rule in `applied`. */
  name: string;
  match: (request: ProxiedRequest) => boolean;
  answer: FaultAnswer;
  /** Forward to the portal only after this long. */
  forwardAfterMs?: number;
  /** Answer the client (with the fault) first, forward afterwards. */
  answerFirst?: boolean;
  /** How many requests the rule takes (default 1). */
  times?: number;
  /** Active only once the rule of this name was applied (a sequence of faults for one call). */
  after?: string;
  /** The portal never sees the request (stopped, or a proxy in front of it refuses): nothing ran. */
  unforwarded?: boolean;
}

export interface AppliedFault {
  rule: string;
  /** The answer the client got (another rule's, when two rules' calls shared the batch). */
  answer: FaultAnswer;
  /** When the portal answered (or, with `answerFirst`, when the client got the fault). */
  at: number;
  /** The portal's own HTTP status (what the client never saw). */
  portalStatus?: number;
}

export interface FaultProxy {
  /** Base URL of the proxy (`http://127.0.0.1:<port>`); paths are forwarded as they are. */
  readonly url: string;
  /** Every request body that went through, in arrival order. */
  readonly requests: ProxiedRequest[];
  readonly applied: AppliedFault[];
  add(rule: FaultRule): void;
  /** Rules not used up yet. */
  pending(): string[];
  /** Uses the rules of this name up (the portal is back). */
  lift(name: string): void;
  close(): Promise<void>;
}

const HTML_502 =
  "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
const HTML_200 = "<!DOCTYPE html><html><body><p>The portal is under maintenance.</p></body></html>";

interface PortalAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: (FaultRule & { left: number })[] = [];
  const requests: ProxiedRequest[] = [];
  const applied: AppliedFault[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  function forward(req: IncomingMessage, body: Buffer): Promise<PortalAnswer> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: upstream.host, "content-length": String(body.length) };
      const out = httpRequest(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on("error", reject);
        },
      );
      out.on("error", reject);
      out.end(body);
    });
  }

  function relay(res: ServerResponse, answer: PortalAnswer): void {
    const headers: Record<string, string | string[] | undefined> = {
      ...answer.headers,
      "content-length": String(answer.body.length),
    };
    delete headers["transfer-encoding"];
    delete headers.connection;
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  function fault(req: IncomingMessage, res: ServerResponse, answer: FaultAnswer): void {
    if (answer === "hold") return; // the client gives up on its own; close() ends the socket
    if (answer === "reset") {
      req.socket.resetAndDestroy();
      return;
    }
    const html = answer === "502" ? HTML_502 : HTML_200;
    res.writeHead(answer === "502" ? 502 : 200, {
      "content-type": "text/html; charset=utf-8",
      connection: "close",
    });
    res.end(html);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen: ProxiedRequest = { method: req.method ?? "GET", path: req.url ?? "/", body: body.toString() };
    requests.push(seen);
    const active = (r: FaultRule & { left: number }) =>
      r.left > 0 && (r.after === undefined || applied.some((a) => a.rule === r.after));
    const taken = rules.filter((r) => active(r) && r.match(seen));
    const rule = taken[0];
    if (!rule) return relay(res, await forward(req, body));
    // Every rule whose call rides in this batch is used up: that call's answer is lost too (with the
    // first rule's fault, recorded as the answer it actually got).
    for (const r of taken) r.left--;
    const record = (portalStatus?: number) => {
      for (const r of taken)
        applied.push({ rule: r.name, answer: rule.answer, at: Date.now(), portalStatus });
    };
    if (rule.unforwarded) {
      fault(req, res, rule.answer);
      record();
      return;
    }
    if (rule.answerFirst) {
      fault(req, res, rule.answer);
      record();
      await later(rule.forwardAfterMs ?? 0);
      await forward(req, body).catch(() => undefined);
      return;
    }
    if (rule.forwardAfterMs) await later(rule.forwardAfterMs);
    const answer = await forward(req, body);
    record(answer.status);
    if (rule.answer === "pass") relay(res, answer);
    else fault(req, res, rule.answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    applied,
    add: (rule) => rules.push({ ...rule, left: rule.times ?? 1 }),
    pending: () => rules.filter((r) => r.left > 0).map((r) => r.name),
    lift: (name) => {
      for (const r of rules) if (r.name === name) r.left = 0;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The commands (`method?query`) of a batch request body; a single-method request yields nothing. */
export function batchCommands(body: string): string[] {
  try {
    const cmd = (JSON.parse(body) as { cmd?: unknown } | null)?.cmd;
    return cmd && typeof cmd === "object" ? Object.values(cmd).map(String) : [];
  } catch {
    return [];
  }
}

/**
 * The command groups of a batch body: the workers name a group's commands `c<seq>_<index>`, so the
 * commands that cite no id (a show citing register's `$result`) still count for their call.
 */
export function batchGroups(body: string): string[][] {
  let cmd: unknown;
  try {
    cmd = (JSON.parse(body) as { cmd?: unknown } | null)?.cmd;
  } catch {
    return [];
  }
  if (!cmd || typeof cmd !== "object") return [];
  const groups = new Map<string, string[]>();
  for (const [key, value] of Object.entries(cmd)) {
    const group = /^(c\d+)_\d+$/.exec(key)?.[1] ?? key;
    groups.set(group, [...(groups.get(group) ?? []), String(value)]);
  }
  return [...groups.values()];
}

/** The command cites `value` as one of its parameters' values. */
export function cites(command: string, value: string): boolean {
  const needle = `=${encodeURIComponent(value)}`;
  return command.includes(`${needle}&`) || command.endsWith(needle);
}

/** A matcher: the batch carries `method` with `value` as one of its parameters' values. */
export function commandWith(method: string, value: string): (request: ProxiedRequest) => boolean {
  const needle = `=${encodeURIComponent(value)}`;
  return (request) =>
    batchCommands(request.body).some(
      (c) =>
        c.toLowerCase().startsWith(`${method.toLowerCase()}?`) &&
        (c.includes(`${needle}&`) || c.endsWith(needle)),
    );
}
