import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { Portal } from "./support.ts";

let portal: Portal;
let files: Server;
let filesUrl = "";
before(async () => {
  portal = await Portal.start();
  files = createServer((req, res) => {
    if (req.url === "/rec/ok.mp3")
      res.writeHead(200, { "content-type": "audio/mpeg" }).end(Buffer.alloc(1234));
    else res.writeHead(404).end("missing");
  });
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});
after(async () => {
  await portal.close();
  await new Promise((resolve) => files.close(resolve));
});
beforeEach(() => portal.reset());

const attach = (params: Record<string, unknown>) => portal.app("telephony.externalcall.attachRecord", params);

async function finishedCall(): Promise<string> {
  const callId = await portal.register();
  await portal.app("telephony.externalcall.finish", { CALL_ID: callId, USER_ID: 2, DURATION: 30 });
  return callId;
}

describe("telephony.externalcall.attachRecord", () => {
  it("before finish → 'Call is not found in the statistic table…'", async () => {
    const callId = await portal.register();
    const reply = await attach({ CALL_ID: callId, FILENAME: "a.mp3", FILE_CONTENT: "AAAA" });
    assert.equal(reply.status, 400);
    assert.equal(
      reply.body.error_description,
      "Call is not found in the statistic table. Looks like it is not finished yet.",
    );
  });

  it("validates the request: no URL or FILENAME, extension, empty and non-base64 content", async () => {
    const CALL_ID = await finishedCall();
    const cases: [Record<string, unknown>, string][] = [
      [{}, "Request should contain or URL or FILENAME parameter"],
      [{ FILENAME: "a.ogg", FILE_CONTENT: "AAAA" }, "Wrong file extension. Only wav and mp3 are allowed"],
      [{ FILENAME: "", FILE_CONTENT: "AAAA" }, "File name is empty"],
      [{ FILENAME: "a.wav", FILE_CONTENT: "" }, "File content is empty."],
      [
        { FILENAME: "a.wav", FILE_CONTENT: "not base64!" },
        "File content is not properly encoded. Base64 encoding is expected.",
      ],
    ];
    for (const [params, description] of cases) {
      const reply = await attach({ CALL_ID, ...params });
      assert.equal(reply.body.error_description, description, JSON.stringify(params));
    }
  });

  it("stores base64 content, and a second attach replaces the current file", async () => {
    const CALL_ID = await finishedCall();
    const first = await attach({
      CALL_ID,
      FILENAME: "a.mp3",
      FILE_CONTENT: Buffer.alloc(10).toString("base64"),
    });
    assert.ok(first.body.result.FILE_ID > 0);
    const second = await attach({
      CALL_ID,
      FILENAME: "b.wav",
      FILE_CONTENT: Buffer.alloc(20).toString("base64"),
    });
    const state = await portal.state();
    assert.deepEqual(
      state.calls[0].records.map((r: { fileName: string; size: number; via: string }) => [
        r.fileName,
        r.size,
        r.via,
      ]),
      [
        ["a.mp3", 10, "base64"],
        ["b.wav", 20, "base64"],
      ],
    );
    assert.equal(state.statistics[0].RECORD_FILE_ID, second.body.result.FILE_ID);
  });

  it("downloads RECORD_URL; a non-200 answer → 'Server returns HTTP error code N'", async () => {
    const CALL_ID = await finishedCall();
    const ok = await attach({ CALL_ID, RECORD_URL: `${filesUrl}/rec/ok.mp3` });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const record = (await portal.state()).calls[0].records[0];
    assert.deepEqual([record.fileName, record.size, record.via], ["ok.mp3", 1234, "url"]);
    const missing = await attach({ CALL_ID, RECORD_URL: `${filesUrl}/rec/gone.mp3` });
    assert.equal(missing.body.error_description, "Server returns HTTP error code 404");
  });

  it("FILENAME only → uploadUrl; a multipart POST with field 'file' stores the recording once", async () => {
    const CALL_ID = await finishedCall();
    const slot = await attach({ CALL_ID, FILENAME: "call.wav" });
    assert.equal(slot.body.result.fieldName, "file");
    const uploadUrl: string = slot.body.result.uploadUrl;
    assert.ok(uploadUrl.startsWith(`${portal.url}/rest/upload.json?`));
    const upload = () => {
      const form = new FormData();
      form.append("file", new Blob([Buffer.alloc(777)]), "call.wav");
      return fetch(uploadUrl, { method: "POST", body: form });
    };
    const response = await upload();
    assert.equal(response.status, 200);
    assert.ok(((await response.json()) as { result: { FILE_ID: number } }).result.FILE_ID > 0);
    const record = (await portal.state()).calls[0].records[0];
    assert.deepEqual([record.fileName, record.size, record.via], ["call.wav", 777, "upload"]);
    assert.equal((await upload()).status, 401, "the upload URL is single-use");
  });
});
