import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { parseSoakArgs } from "../../../soak/args.ts";
import {
  ATTENDED,
  CRM_EXTENSIONS,
  GROUPS,
  IVR_ANSWERING,
  IVR_NOT_ANSWERING,
  PHONES,
  SUPPORT_EXTENSIONS,
  userIdOf,
} from "../../../soak/callCentre.ts";
import { soakMix, SCENARIO_WEIGHTS, type SoakCall } from "../../../soak/mix.ts";
import { renderCaller, renderPhones } from "../../../soak/scenarios.ts";
import { buildConfig, buildSeed } from "../../../soak/setup.ts";
import { operatorContactPort, renderPjsipConf, SOAK_PHONE_BANK } from "../../../testbed/pjsipConfig.ts";

const pbx = { host: "127.0.0.1", port: 15060 };
const endpoints = {
  ari: { url: "http://127.0.0.1:18088", user: "itgrix", password: "itgrix", app: "itgrix" },
  redisUrl: "redis://127.0.0.1:16379",
  portalUrl: "http://127.0.0.1:18091",
  httpPort: 8077,
  recordingDir: "/tmp/rec",
  adminPassword: "soak-admin-pw",
  signingKey: "0123456789abcdef0123",
};

describe("the soak's call centre", () => {
  it("has at least 30 operator phones, and every group member and IVR choice has one", () => {
    const phones = new Set([...Object.keys(PHONES), ATTENDED.extension]);
    assert.ok(phones.size >= 30, `${phones.size} phones`);
    for (const g of Object.values(GROUPS)) for (const m of g.members) assert.ok(phones.has(m), m);
    for (const ext of [...IVR_ANSWERING, IVR_NOT_ANSWERING]) assert.ok(phones.has(ext), ext);
  });

  it("maps CRM extensions to the seed's users and leaves Support out of the CRM", () => {
    const seedUsers = (buildSeed().users as { ID: number; UF_PHONE_INNER?: string }[]).filter(
      (u) => u.UF_PHONE_INNER,
    );
    assert.deepEqual(
      seedUsers.map((u) => [u.UF_PHONE_INNER, u.ID]),
      CRM_EXTENSIONS.map((ext) => [ext, userIdOf(ext)]),
    );
    for (const ext of SUPPORT_EXTENSIONS) assert.equal(userIdOf(ext), undefined);
  });

  it("gives the app a configuration it accepts: standard plan, recording on, every phone an operator", () => {
    for (const delivery of ["upload", "url"] as const) {
      const config = parseConfig(buildConfig(endpoints, delivery));
      assert.equal(config.bitrix.plan, "standard");
      assert.equal(config.recording.enabled, true);
      assert.equal(config.crm.recordDelivery, delivery);
      assert.equal(config.crm.cardMode, "ring");
      assert.ok(config.routing.dids["74957000010"]!.ivr);
      for (const ext of Object.keys(PHONES)) assert.ok(config.routing.operators.includes(ext), ext);
    }
  });

  it("puts 121-159 on one contact port in the testbed's pjsip.conf, and the others on their own", () => {
    const conf = renderPjsipConf({ sipPort: 15060, qualifyFrequency: 0 });
    assert.match(conf, /contact = sip:121@127\.0\.0\.1:16100/);
    assert.match(conf, /contact = sip:159@127\.0\.0\.1:16100/);
    assert.match(conf, /contact = sip:160@127\.0\.0\.1:16160/);
    assert.match(conf, /contact = sip:101@127\.0\.0\.1:16101/);
    assert.match(conf, /match = 127\.0\.0\.1:15100\n/);
    assert.equal((conf.match(/match = 127\.0\.0\.1:16100\n/g) ?? []).length, 0);
    assert.equal(operatorContactPort(SOAK_PHONE_BANK.first), 16100);
    assert.equal(operatorContactPort(301), 16301);
  });
});

describe("the soak's sipp scenarios", () => {
  it("branch the bank's phones by extension and fill every placeholder", () => {
    const bank = Object.fromEntries(
      Object.entries(PHONES).filter(([e]) => Number(e) < 160 && Number(e) > 120),
    );
    const xml = renderPhones(bank, [1000, 4000], pbx);
    assert.doesNotMatch(xml, /\{\{/);
    assert.match(xml, /value="141"\/><\/action><\/nop>\n {2}<nop next="refuse"/);
    assert.match(xml, /value="143"\/><\/action><\/nop>\n {2}<nop next="noanswer"/);
    assert.match(xml, /<nop next="transfer_147"/);
    assert.match(xml, /Refer-To: <sip:149@127\.0\.0\.1:15060>/);
    assert.match(xml, /min="1000" max="4000"/);
  });

  it("still tests the extension once when every phone just answers (sipp refuses unused variables)", () => {
    const xml = renderPhones({ "301": { kind: "answer" } }, [1000, 2000], pbx);
    assert.match(xml, /variable="extn"/);
  });

  it("refuses phones that would refuse with different codes", () => {
    assert.throws(() =>
      renderPhones(
        {
          "1": { kind: "refuse", code: 486, reason: "Busy Here", ringMs: 300 },
          "2": { kind: "refuse", code: 603, reason: "Decline", ringMs: 300 },
        },
        [1, 2],
        pbx,
      ),
    );
  });

  it("renders a caller with its digits and timeouts, and refuses bad digits", () => {
    const script = {
      from: "79260000001",
      to: "74957000010",
      answerTimeoutMs: 3000,
      talkMs: 9000,
      dtmf: "153",
    };
    const xml = renderCaller({ ...script, dtmfDelayMs: 1500, dtmfGapMs: 300 });
    assert.doesNotMatch(xml, /\{\{/);
    assert.equal((xml.match(/Signal=/g) ?? []).length, 3);
    assert.match(xml, /CSeq: 5 BYE/);
    assert.match(xml, /timeout="3000" ontimeout="cancel"/);
    assert.match(xml, /<recv request="BYE" timeout="9000" ontimeout="hangup"\/>/);
    assert.throws(() => renderCaller({ ...script, dtmf: "1;", dtmfDelayMs: 1, dtmfGapMs: 1 }));
  });
});

describe("the soak's call mix", () => {
  const take = (n: number, attendedEvery = 0): SoakCall[] => {
    const out: SoakCall[] = [];
    for (const c of soakMix({ seed: 7, attendedEvery })) {
      if (out.length === n) break;
      out.push(c);
    }
    return out;
  };

  it("walks every scenario first, gives each call its own number, and is the same for the same seed", () => {
    const calls = take(200, 40);
    const names = Object.keys(SCENARIO_WEIGHTS);
    assert.deepEqual(
      calls.slice(0, names.length).map((c) => c.scenario),
      names,
    );
    assert.equal(new Set(calls.map((c) => c.clientNumber)).size, 200);
    assert.deepEqual(
      calls.filter((c) => c.scenario === "attendedTransfer").map((c) => c.seq),
      [40, 80, 120, 160, 200],
    );
    assert.deepEqual(take(50), take(50));
  });

  it("makes abandoning callers give up while ringing and IVR callers dial an extension", () => {
    for (const c of take(300)) {
      if (c.scenario === "callerAbandons") assert.ok(c.answerTimeoutMs >= 2000 && c.answerTimeoutMs <= 5000);
      if (c.scenario === "ivrExtension") assert.ok(IVR_ANSWERING.includes(c.dtmf));
      if (c.scenario === "ivrMissed") assert.equal(c.dtmf, IVR_NOT_ANSWERING);
    }
  });
});

describe("parseSoakArgs", () => {
  it("reads --cps, --minutes and --json, with the defaults of the target", () => {
    const a = parseSoakArgs(["--cps", "0.5", "--minutes", "2", "--json"]);
    assert.equal(a.cps, 0.5);
    assert.equal(a.minutes, 2);
    assert.equal(a.json, true);
    assert.equal(a.workers, 2);
    assert.equal(a.recordDelivery, "upload");
    assert.equal(a.attended, true);
    const d = parseSoakArgs([]);
    assert.equal(d.cps, 2);
    assert.equal(d.minutes, 10);
  });

  it("refuses bad values with the option's name", () => {
    assert.throws(() => parseSoakArgs(["--cps", "0"]), /--cps/);
    assert.throws(() => parseSoakArgs(["--cps", "50"]), /--cps/);
    assert.throws(() => parseSoakArgs(["--calls", "2.5"]), /--calls/);
    assert.throws(() => parseSoakArgs(["--record-delivery", "ftp"]), /--record-delivery/);
    assert.throws(() => parseSoakArgs(["--bogus"]));
  });
});
