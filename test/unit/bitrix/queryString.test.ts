import { test } from "node:test";
import assert from "node:assert/strict";
import { buildCommand, buildQuery } from "../../../workers/bitrix/queryString.ts";

test("given a nested filter, when built, then keys are PHP-bracketed and values encoded", () => {
  assert.equal(buildQuery({ FILTER: { UF_PHONE_INNER: "101" } }), "FILTER[UF_PHONE_INNER]=101");
  assert.equal(buildQuery({ USER_ID: [2, 3] }), "USER_ID[0]=2&USER_ID[1]=3");
  assert.equal(buildQuery({ a: { b: { c: [1, { d: "x" }] } } }), "a[b][c][0]=1&a[b][c][1][d]=x");
});

test("given special characters, when built, then values are URL-encoded", () => {
  assert.equal(buildQuery({ PHONE_NUMBER: "+7 495 123&4=5" }), "PHONE_NUMBER=%2B7%20495%20123%264%3D5");
  assert.equal(buildQuery({ MESSAGE: "Звонок" }), `MESSAGE=${encodeURIComponent("Звонок")}`);
  assert.equal(buildQuery({ "key with space": 1 }), "key%20with%20space=1");
});

test("given booleans and null, when built, then they are written as PHP would", () => {
  assert.equal(buildQuery({ a: true, b: false, c: null }), "a=1&b=0&c=");
});

test("given a method without params, when built, then the command is the bare method", () => {
  assert.equal(buildCommand("user.current", {}), "user.current");
  assert.equal(buildCommand("user.get", { ID: 2 }), "user.get?ID=2");
});

test("given a $ref outside a batch, when built, then it is refused", () => {
  assert.throws(() => buildQuery({ CALL_ID: { $ref: 0, path: ["CALL_ID"] } }), /only allowed inside a batch/);
});

test("given a $ref and a writer, when built, then the reference is written and encoded like a value", () => {
  const q = buildQuery({ CALL_ID: { $ref: 0, path: ["CALL_ID"] } }, () => "$result[c1_0][CALL_ID]");
  assert.equal(q, "CALL_ID=%24result%5Bc1_0%5D%5BCALL_ID%5D");
  assert.equal(decodeURIComponent(q.split("=")[1]!), "$result[c1_0][CALL_ID]");
});
