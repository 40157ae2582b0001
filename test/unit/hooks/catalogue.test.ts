import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { typeCheckFiles, formatDiagnostic } from "../../../core/hooks/loader/typeCheck.ts";
import { HOOK_POINT_NAMES, HOOK_POINTS } from "../../../core/hooks/points.ts";
import { formatListing, listPoints } from "../../../core/hooks/tools/listPoints.ts";

const ALIASES = [
  "LegPurpose",
  "OriginatePurpose",
  "CallOutcome",
  "UserChoice",
  "RegisterParams",
  "FinishParams",
  "AttachRecordParams",
  "OriginateParams",
  "RecordingSource",
  "HookPoints",
];

describe("the catalogue of hook points", () => {
  it("has at least 20 points, among them every point the issue names", () => {
    const required = [
      "shouldProcessCall",
      "normalizeClientNumber",
      "normalizeUserNumber",
      "resolveLine",
      "routeInbound",
      "beforeRing",
      "cardAudience",
      "beforeRegister",
      "afterRegister",
      "onAnswer",
      "onTransfer",
      "resolveResponsible",
      "talkDuration",
      "statusCode",
      "beforeFinish",
      "afterFinish",
      "recordingSource",
      "beforeAttachRecord",
      "onMissed",
      "onIvrMissed",
      "beforeOriginate",
      "onOriginateFailed",
      "onCallFailed",
    ];
    assert.ok(HOOK_POINT_NAMES.length >= 20);
    assert.deepEqual(
      required.filter((p) => !HOOK_POINT_NAMES.includes(p as never)),
      [],
    );
  });

  it(
    "says exactly what api.ts types, and every example of docs/hooks.md type-checks",
    { timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "itgrix-catalogue-"));
      try {
        const lines = [
          `import type { ${ALIASES.join(", ")} } from "itgrix/hooks";`,
          "type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;",
          "type Expect<T extends true> = T;",
        ];
        for (const p of HOOK_POINT_NAMES) {
          const spec = HOOK_POINTS[p];
          lines.push(`export type ${p}Input = Expect<Equal<HookPoints["${p}"]["input"], ${spec.input}>>;`);
          lines.push(`export type ${p}Value = Expect<Equal<HookPoints["${p}"]["value"], ${spec.value}>>;`);
          lines.push(`export type ${p}Side = Expect<Equal<HookPoints["${p}"]["side"], "${spec.side}">>;`);
        }
        const file = join(dir, "catalogue.ts");
        await writeFile(file, `${lines.join("\n")}\n`);
        const examples = join(dir, "examples.ts");
        await writeFile(examples, await docExamplesModule());
        const writing = join(dir, "vipLine.ts");
        await writeFile(writing, await docBlockAfter("// /etc/itgrix/hooks/vipLine.ts"));
        const result = await typeCheckFiles([file, examples, writing]);
        assert.ok(result.checked, "typescript is installed for the tests");
        assert.deepEqual(result.diagnostics.map(formatDiagnostic), []);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it("every event point has kind event and vice versa; every point has a time limit", () => {
    for (const p of HOOK_POINT_NAMES) {
      const spec = HOOK_POINTS[p];
      assert.equal(spec.kind === "event", spec.value === "void", p);
      assert.ok(spec.defaultTimeLimitMs > 0);
    }
  });

  it("lists every point with when, wraps, input and value; --json gives the same data", () => {
    const text = formatListing(listPoints());
    for (const p of HOOK_POINT_NAMES) assert.match(text, new RegExp(`^${p}  \\[`, "m"));
    const json = listPoints((point) => (point === "talkDuration" ? ["talkWithoutSupport"] : []));
    assert.equal(json.length, HOOK_POINT_NAMES.length);
    assert.deepEqual(json.find((p) => p.name === "talkDuration")?.customizations, ["talkWithoutSupport"]);
  });
});

/** The example of every point in docs/hooks.md, as the hooks of one customization. */
async function docExamplesModule(): Promise<string> {
  const doc = await readFile(new URL("../../../docs/hooks.md", import.meta.url), "utf8");
  const hooks = HOOK_POINT_NAMES.map((p) => {
    const block = new RegExp(`\\*\\*\`${p}\`\\*\\*[^]*?\`\`\`ts\\n([^]*?)\`\`\``).exec(doc)?.[1];
    assert.ok(block, `an example for ${p}`);
    return block;
  });
  return `import type { Customization } from "itgrix/hooks";\nexport default { hooks: {\n${hooks.join("")}} } satisfies Customization;\n`;
}

async function docBlockAfter(firstLine: string): Promise<string> {
  const doc = await readFile(new URL("../../../docs/hooks.md", import.meta.url), "utf8");
  const start = doc.indexOf(firstLine);
  assert.ok(start > 0, firstLine);
  return doc.slice(start, doc.indexOf("```", start));
}

describe("docs/hooks.md", () => {
  it("has an example for every point and documents every shipped customization", async () => {
    const { SHIPPED } = await import("../../../core/hooks/shipped/index.ts");
    const doc = await readFile(new URL("../../../docs/hooks.md", import.meta.url), "utf8");
    for (const p of HOOK_POINT_NAMES) {
      assert.match(
        doc,
        new RegExp(`\\*\\*\`${p}\`\\*\\*[^]*?\`\`\`ts\\n\\s*${p}[:(]`),
        `an example for ${p}`,
      );
    }
    for (const name of Object.keys(SHIPPED)) assert.match(doc, new RegExp(`\\| \`${name}\` \\|`), name);
  });
});
