import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { checkFolder } from "../../../core/hooks/tools/checkFolder.ts";
import { capturingLogger, testConfig } from "./support.ts";

const run = promisify(execFile);
let folder: string;

const GOOD = `
import type { Customization } from "itgrix/hooks";
export default {
  hooks: {
    async afterFinish(ctx) {
      await ctx.crm.call("crm.activity.update", { id: Number(ctx.input.activityId), fields: { COMPLETED: "Y" } });
    },
  },
} satisfies Customization;
`;
const WRONG = `
import { Customization } from "itgrix/hooks";
export default {
  hooks: {
    routeInbound: (ctx) => ({ kind: "queue", queue: ctx.input.did }),
    cardAudience: (ctx) => { ctx.crm; return ctx.value.map(String); },
  },
} satisfies Customization;
`;

describe("npm run hooks -- check", () => {
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), "itgrix-check-"));
    await writeFile(join(folder, "good.ts"), GOOD);
  });
  after(async () => rm(folder, { recursive: true, force: true }));

  it("reports every type error with file and line, and exits 1", { timeout: 180_000 }, async () => {
    await writeFile(join(folder, "wrong.ts"), WRONG);
    try {
      const { logger } = capturingLogger();
      const report = await checkFolder(folder, testConfig(), logger);
      assert.equal(report.ok, false);
      const text = report.lines.join("\n");
      assert.match(text, /ok good: afterFinish/, "the correct module is listed as loadable");
      assert.doesNotMatch(text, /good\.ts:\d+/, "and has no errors");
      assert.match(text, /wrong\.ts:2:\d+: TS1484/, "a type imported without `import type`");
      assert.match(text, /wrong\.ts:5:\d+: TS2322/, "a route the API does not know");
      assert.match(text, /wrong\.ts:6:\d+: TS2322/, "numbers where user ids are due");
      const cli = await run(process.execPath, [
        "--import",
        "tsx",
        "scripts/hooks.ts",
        "check",
        "--folder",
        folder,
      ]).then(
        () => ({ code: 0, stdout: "" }),
        (err: { code: number; stdout: string }) => err,
      );
      assert.equal(cli.code, 1);
      assert.match(cli.stdout, /type error\(s\)/);
    } finally {
      await rm(join(folder, "wrong.ts"));
    }
  });
});
