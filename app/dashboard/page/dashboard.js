// The itgrix dashboard (served by the app at /dashboard/, behind the admin login). Plain browser
// JavaScript on purpose: no build step, no CDN, one chart library (uPlot) served by the app itself.
// Every URL is relative, so the page also works behind a reverse proxy under a path prefix.
"use strict";

const REFRESH_MS = 5000;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const charts = {};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
  const body = await res.json().catch(() => null);
  return { status: res.status, body };
}

function fmtAge(sec) {
  if (sec === null || sec === undefined) return "—";
  if (sec < 120) return `${sec} s`;
  if (sec < 7200) return `${Math.round(sec / 60)} min`;
  return `${Math.round(sec / 3600)} h`;
}

function renderStatus(status) {
  const badge = document.getElementById("status-badge");
  badge.textContent = status.status;
  badge.className = `badge ${status.status}`;
  const problems = document.getElementById("problems");
  problems.replaceChildren(...status.problems.map((p) => el("li", {}, p)));
  const hold = status.crm.hold;
  const tiles = [
    ["Live calls", status.calls.activeNow, "live-calls"],
    ["Delivered, last hour", status.calls.processedLastHour, "processed"],
    ["Failed, last hour", status.calls.failedLastHour, "failed-hour", status.calls.failedLastHour > 0],
    ["Failed, waiting", status.calls.failedTotal, "failed-total", status.calls.failedTotal > 0],
    ["Undelivered", status.calls.undelivered, "undelivered"],
    [
      "Oldest undelivered",
      fmtAge(status.calls.oldestUndeliveredSec),
      "oldest-undelivered",
      status.calls.oldestUndeliveredSec > 900,
    ],
    ["Queue waiting", status.queues.lifecycle.waiting, "queue-waiting"],
    ["Workers", status.workers.seen, "workers", status.workers.seen === 0],
    ["ARI", status.ari.connected ? "connected" : "down", "ari", !status.ari.connected],
    [
      "Redis",
      status.redis.reachable ? `${status.redis.latencyMs} ms` : "down",
      "redis",
      !status.redis.reachable,
    ],
    ["CRM delivery", hold ? `held: ${hold.cause}` : (status.crm.auth ?? "—"), "crm", Boolean(hold)],
  ];
  document
    .getElementById("tiles")
    .replaceChildren(
      ...tiles.map(([label, value, id, alert]) =>
        el(
          "div",
          { class: alert ? "tile alert" : "tile", "data-tile": id },
          el("div", { class: "value" }, value === null || value === undefined ? "—" : value),
          el("div", { class: "label" }, label),
        ),
      ),
    );
}

/** Creates or updates one uPlot chart; recreated when its series change (a new error code). */
function plot(name, series, data, options) {
  const box = document.getElementById(`chart-${name}`);
  const key = series.map((s) => s.label).join("|");
  const width = Math.max(300, box.clientWidth - 14);
  let chart = charts[name];
  if (!chart || chart.key !== key) {
    if (chart) chart.plot.destroy();
    const opts = {
      width,
      height: 200,
      // Points shown: a minute with one delivery is a single value, which a line alone would not draw.
      series: [
        {},
        ...series.map((s, i) => ({
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: true, size: 5 },
          ...s,
        })),
      ],
      axes: [{}, { size: 50 }],
      scales: { x: { time: true } },
      legend: { live: false },
      ...options,
    };
    chart = { key, plot: new uPlot(opts, data, box) };
    charts[name] = chart;
  } else {
    chart.plot.setData(data);
  }
  // How many non-empty values the chart holds: the browser test reads it, people can ignore it.
  const points = data.slice(1).reduce((n, ys) => n + ys.filter((y) => y !== null && y !== 0).length, 0);
  box.dataset.points = String(points);
  box.dataset.rendered = box.querySelector("canvas") ? "1" : "0";
}

function renderCharts(live, minutes) {
  plot("live", [{ label: "live calls", fill: "rgba(31,119,180,0.1)" }], [live.t, live.calls]);
  if (!minutes) return;
  plot(
    "calls",
    [{ label: "delivered" }, { label: "failed" }],
    [minutes.t, minutes.processed, minutes.failed],
  );
  plot("latency", [{ label: "hang-up → CRM (s)", spanGaps: true }], [minutes.t, minutes.latencySec]);
  const codes = Object.keys(minutes.errors);
  plot("errors", codes.length > 0 ? codes.map((c) => ({ label: c })) : [{ label: "no errors" }], [
    minutes.t,
    ...(codes.length > 0 ? codes.map((c) => minutes.errors[c]) : [minutes.t.map(() => 0)]),
  ]);
}

async function reprocess(callId, button, cell) {
  button.disabled = true;
  cell.textContent = "sending…";
  try {
    const res = await fetch(`../calls/${encodeURIComponent(callId)}/reprocess`, { method: "POST" });
    const body = await res.json().catch(() => ({}));
    cell.textContent = res.ok ? `queued (${body.status})` : `${res.status}: ${body.error ?? "refused"}`;
    cell.dataset.result = res.ok ? "queued" : "refused";
  } catch (err) {
    cell.textContent = `error: ${err.message}`;
    cell.dataset.result = "error";
  }
}

const pending = new Map(); // callId → result text, so a refresh keeps what the button said

async function renderFailed() {
  const { status, body } = await getJson("../calls/failed?limit=50");
  if (status !== 200) return;
  document.getElementById("failed-total").textContent = `(${body.total})`;
  document.getElementById("failed-empty").hidden = body.calls.length > 0;
  const table = document.getElementById("failed-table");
  table.hidden = body.calls.length === 0;
  const rows = body.calls.map((c) => {
    const result = el("span", { class: "muted" }, pending.get(c.callId) ?? "");
    const button = el("button", { type: "button" }, "Re-process");
    button.addEventListener("click", async () => {
      await reprocess(c.callId, button, result);
      pending.set(c.callId, result.textContent);
    });
    return el(
      "tr",
      { "data-call-id": c.callId },
      el("td", {}, c.callId),
      el("td", {}, c.failedAt),
      el("td", {}, c.step ?? "—"),
      el("td", {}, c.code ?? "—"),
      el("td", { class: "reason" }, c.reason ?? "—"),
      el("td", {}, button, " ", result),
    );
  });
  table.querySelector("tbody").replaceChildren(...rows);
}

async function renderAudit() {
  const box = document.getElementById("audit");
  const { status, body } = await getJson("../audit/latest").catch(() => ({ status: 0, body: null }));
  if (status !== 200 || !body) {
    box.className = "muted";
    // 503: the audit is off, and the app says why (e.g. no cdr.url); 404: on, but none has run yet.
    if (status === 404) box.textContent = "No audit yet.";
    else if (status === 503 && body?.error) box.textContent = `Self-audit is off: ${body.error}.`;
    else box.textContent = "The audit report is not available.";
    return;
  }
  box.className = "";
  const scalars = Object.entries(body).filter(([, v]) => v === null || typeof v !== "object");
  box.replaceChildren(
    el(
      "table",
      {},
      el("tbody", {}, ...scalars.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, String(v))))),
    ),
    el("details", {}, el("summary", {}, "full report"), el("pre", {}, JSON.stringify(body, null, 2))),
  );
}

async function refresh() {
  try {
    const { status, body } = await getJson("api/data");
    if (status !== 200) throw new Error(`HTTP ${status}`);
    renderStatus(body.status);
    renderCharts(body.live, body.minutes);
    document.getElementById("config").textContent = JSON.stringify(body.config, null, 2);
    document.getElementById("updated").textContent =
      `updated ${new Date(body.generatedAt).toLocaleTimeString()}`;
    await Promise.all([renderFailed(), renderAudit()]);
    document.body.dataset.loaded = "1";
  } catch (err) {
    document.getElementById("updated").textContent = `update failed: ${err.message}`;
  }
}

void refresh();
setInterval(() => void refresh(), REFRESH_MS);
