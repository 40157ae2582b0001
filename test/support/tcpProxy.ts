import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of a server (Asterisk's HTTP/ARI port in the chaos tests) that can break the
 * path the way networks do: `cut()` resets every connection (a websocket cut mid-call), `refuse(ms)`
 * also refuses new ones for a while (the app cannot reconnect), `silence()` keeps the current
 * connections open but passes nothing any more (a dead path that never closes: only a ping notices).
 */
export interface TcpProxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>`: give it to the app as `ari.url`. */
  readonly url: string;
  cut(): void;
  refuse(ms: number): void;
  silence(): void;
  /** Connections open right now. */
  connections(): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  silent: boolean;
}

/** Joins a client to the target; data passes both ways until the pair is cut or falls silent. */
function relay(client: Socket, target: { port: number; host: string }, pairs: Set<Pair>): void {
  const upstream = connect(target.port, target.host);
  const pair: Pair = { client, upstream, silent: false };
  pairs.add(pair);
  const end = (): void => {
    pairs.delete(pair);
    client.destroy();
    upstream.destroy();
  };
  client.on("data", (chunk) => void (pair.silent || upstream.write(chunk)));
  upstream.on("data", (chunk) => void (pair.silent || client.write(chunk)));
  for (const socket of [client, upstream]) {
    socket.on("close", end);
    socket.on("error", end);
  }
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let refuseUntil = 0;
  const server: Server = createServer((client) => {
    if (Date.now() < refuseUntil) return void client.destroy();
    relay(client, { port: targetPort, host: targetHost }, pairs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const cut = (): void => {
    for (const p of [...pairs]) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    cut,
    refuse(ms) {
      refuseUntil = Date.now() + ms;
      cut();
    },
    silence() {
      for (const p of pairs) p.silent = true;
    },
    connections: () => pairs.size,
    close: () => new Promise<void>((resolve) => (cut(), server.close(() => resolve()))),
  };
}
