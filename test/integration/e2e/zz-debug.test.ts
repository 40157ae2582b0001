import { test } from "node:test";
import { startStack, waitForCrmCall } from "/work/main/test/support/stack.ts";
import { clientCalls } from "/work/main/test/integration/e2e/expect.ts";
test("debug", async () => {
  const stack = await startStack({ groups: { solo: { members: [110], groupTimeoutSec: 5 } }, dids: { "4951110001": { group: "solo" } } });
  try {
    stack.control.adapter.on("event", (e) => console.log("EV", e.type, JSON.stringify(e).slice(0, 200)));
    await stack.operator(110, { answerAfterMs: 1000 });
    const r = await clientCalls({ from: "74951000001", to: "4951110001", talkMs: 2000 });
    console.log("caller", JSON.stringify(r));
    await new Promise((res) => setTimeout(res, 3000));
    console.log(JSON.stringify(await stack.appCalls(), null, 1));
    console.log(JSON.stringify(await stack.crmCalls()));
    console.log("pending", await stack.pendingJobs());
    const keys = await stack.redis.keys(stack.prefix + ":*"); console.log(keys);
    for (const k of keys.filter(k=>k.includes("journal"))) console.log(await stack.redis.get(k));
  } finally { await stack.stop(); }
});
