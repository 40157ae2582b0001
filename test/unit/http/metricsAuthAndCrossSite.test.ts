import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Request, RequestHandler, Response } from "express";
import { rejectCrossSite } from "../../../app/http/crossSite.ts";
import { metricsAuth } from "../../../app/http/metricsRoute.ts";

/** Runs a handler on a fake request; says whether it passed on (next) or answered with a status. */
function run(handler: RequestHandler, req: Partial<Request>): "next" | number | "admin" {
  let outcome: "next" | number | "admin" | undefined;
  const res = {
    status(code: number) {
      outcome = code;
      return this;
    },
    json() {
      return this;
    },
  } as unknown as Response;
  handler({ method: "GET", headers: {}, ...req } as Request, res, () => (outcome ??= "next"));
  return outcome!;
}

const TOKEN = "metrics-token-0123456789";
/** Stands for requireAdmin: marks that the admin check decided. */
const admin: RequestHandler = (_req, res) => void res.status(299);

describe("metricsAuth", () => {
  it("given the right bearer token, then passed without the admin check", () => {
    assert.equal(run(metricsAuth(TOKEN, admin), { headers: { authorization: `Bearer ${TOKEN}` } }), "next");
  });
  it("given a wrong bearer token, then 401", () => {
    assert.equal(
      run(metricsAuth(TOKEN, admin), { headers: { authorization: "Bearer nope-nope-nope-nope" } }),
      401,
    );
  });
  it("given Basic credentials, or no token configured, then the admin check decides", () => {
    assert.equal(run(metricsAuth(TOKEN, admin), { headers: { authorization: "Basic YWRtaW46eA==" } }), 299);
    assert.equal(run(metricsAuth(undefined, admin), { headers: { authorization: `Bearer ${TOKEN}` } }), 299);
    assert.equal(run(metricsAuth(TOKEN, admin), {}), 299);
  });
});

describe("rejectCrossSite", () => {
  const post = (headers: Record<string, string>) => run(rejectCrossSite, { method: "POST", headers });
  it("given a POST from the dashboard itself, or from curl, then passed", () => {
    assert.equal(
      post({ "sec-fetch-site": "same-origin", origin: "https://proxy.example", host: "127.0.0.1:8077" }),
      "next",
    );
    assert.equal(post({}), "next");
    assert.equal(post({ origin: "http://127.0.0.1:8077", host: "127.0.0.1:8077" }), "next");
  });
  it("given a POST another site's page made the browser send, then 403", () => {
    assert.equal(post({ "sec-fetch-site": "cross-site" }), 403);
    assert.equal(post({ "sec-fetch-site": "same-site" }), 403);
    assert.equal(post({ origin: "https://evil.example", host: "127.0.0.1:8077" }), 403);
    assert.equal(post({ origin: "null", host: "127.0.0.1:8077" }), 403);
  });
  it("given a GET from anywhere, then passed (reading needs the login anyway)", () => {
    assert.equal(
      run(rejectCrossSite, { method: "GET", headers: { "sec-fetch-site": "cross-site" } }),
      "next",
    );
  });
});
