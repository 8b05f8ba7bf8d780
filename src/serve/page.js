"use strict";
// The playground page: everything it shows comes from the server's JSON (the CLI's Summary).
const TOKEN = document.querySelector('meta[name="stagesim-token"]').content;
const CLIENT = Array.from(crypto.getRandomValues(new Uint8Array(8)), b => b.toString(16).padStart(2, "0")).join("");
const $ = id => document.getElementById(id);
const editor = $("editor");
let controlsList = [];
const values = {};
let seq = 0, runs = 0, pinned = null, last = null, changedAt = 0, lastDiagram = "";
const timers = {};

async function post(path, body) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Stagesim-Token": TOKEN },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(await r.text());
  return r.json();
}

function debounce(name, ms, f) {
  clearTimeout(timers[name]);
  timers[name] = setTimeout(f, ms);
}

function setStatus(s) { $("status").textContent = s; }

function sets() {
  return controlsList.filter(c => values[c.key] !== undefined && values[c.key] !== c.value)
    .map(c => `${c.key}=${values[c.key]}`);
}

function design(extra) {
  return Object.assign({
    text: editor.value, sets: sets(), client: CLIENT,
    duration: $("duration").value || null,
    seed: pinned ? pinned.summary.seed : null,
  }, extra || {});
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

// ---- editor: line numbers, located errors ----
function gutter(bad) {
  const n = editor.value.split("\n").length;
  const lines = [];
  for (let i = 1; i <= n; i++) lines.push(bad.has(i) ? `<span class="bad">${i}</span>` : String(i));
  $("gutter").innerHTML = lines.join("\n") + "\n";
  $("gutter").scrollTop = editor.scrollTop;
}
editor.addEventListener("scroll", () => { $("gutter").scrollTop = editor.scrollTop; });
editor.addEventListener("input", () => {
  gutter(new Set());
  changedAt = performance.now();
  debounce("validate", 250, validate);
});

function goTo(line, column) {
  const lines = editor.value.split("\n");
  let at = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
  at += Math.max(0, column - 1);
  editor.focus();
  editor.setSelectionRange(at, at);
  editor.scrollTop = Math.max(0, (line - 5) * 18);
}

function showDiagnostics(v) {
  const ul = $("diagnostics");
  ul.innerHTML = "";
  const bad = new Set();
  if (v.error) {
    const li = document.createElement("li");
    li.textContent = v.error;
    ul.appendChild(li);
  }
  for (const d of v.diagnostics || []) {
    const inText = d.file !== "command line";
    if (inText) bad.add(d.line);
    const li = document.createElement("li");
    li.className = "diagnostic";
    li.title = d.rendered;
    li.innerHTML = `<b>${escapeHtml(d.file)}:${d.line}:${d.column}</b> ${escapeHtml(d.message)}` +
      (d.help ? `<span class="help">help: ${escapeHtml(d.help)}</span>` : "");
    if (inText) li.addEventListener("click", () => goTo(d.line, d.column));
    ul.appendChild(li);
  }
  gutter(bad);
}

async function validate() {
  let v;
  try { v = await post("/api/validate", design()); } catch (e) { setStatus("error: " + e.message); return; }
  showDiagnostics(v);
  // A text that does not parse has no controls to offer: keep the last ones meanwhile.
  if (v.ok || (v.controls || []).length) buildControls(v.controls || []);
  $("right").classList.toggle("stale", !v.ok);
  if (!v.ok) { setStatus("the scenario has errors: nothing was simulated"); return; }
  if (v.diagram && !last) $("diagram").innerHTML = v.diagram;
  scheduleRun();
}

// ---- controls, each bound to a TOML key (sent as --set KEY=VALUE) ----
function perSecond(rate) {
  const m = /^\s*([\d_.]+)\s*\/\s*(s|min|h|ms)\s*$/.exec(rate);
  if (!m) return null;
  const n = parseFloat(m[1].replace(/_/g, ""));
  return n * { s: 1, min: 1 / 60, h: 1 / 3600, ms: 1000 }[m[2]];
}

function buildControls(list) {
  const old = Object.fromEntries(controlsList.map(c => [c.key, c.value]));
  const same = list.length === controlsList.length && list.every(c => old[c.key] === c.value);
  for (const c of list) if (old[c.key] !== c.value) values[c.key] = c.value;
  controlsList = list;
  if (same && $("controls").childElementCount === list.length) return;
  const box = $("controls");
  box.innerHTML = "";
  for (const c of list) box.appendChild(controlRow(c));
}

function controlRow(c) {
  const row = document.createElement("label");
  row.className = "row";
  const name = document.createElement("span");
  name.textContent = c.label;
  const out = document.createElement("output");
  const input = document.createElement("input");
  input.dataset.key = c.key;
  input.id = "ctl-" + c.key.replace(/\./g, "-");
  const cur = values[c.key] ?? c.value;
  if (c.input === "count" || c.input === "rate") {
    input.type = "range";
    input.min = c.min; input.max = c.max;
    input.step = c.input === "count" ? 1 : Math.max(1, Math.round(c.max / 400));
    input.value = c.input === "count" ? cur : perSecond(cur);
    out.textContent = cur;
    input.addEventListener("input", () => {
      const v = c.input === "count" ? input.value : `${input.value}/s`;
      out.textContent = v;
      changed(c.key, v);
    });
  } else {
    input.type = "text";
    input.value = cur;
    input.addEventListener("input", () => changed(c.key, input.value.trim()));
  }
  row.append(name, input, out);
  return row;
}

function changed(key, v) {
  values[key] = v;
  changedAt = performance.now();
  setStatus("changed: waiting to run…");
  scheduleRun();
}

// ---- runs ----
function scheduleRun() { debounce("run", 300, run); }
$("duration").addEventListener("change", () => { changedAt = performance.now(); scheduleRun(); });

async function run() {
  const my = ++seq;
  const t0 = changedAt || performance.now();
  setStatus("running…");
  let r;
  try { r = await post("/api/run", design()); } catch (e) { setStatus("error: " + e.message); return; }
  if (my !== seq || r.status === "cancelled") return;
  $("command").textContent = r.command;
  if (r.status === "invalid") {
    showDiagnostics(r.validated);
    $("right").classList.add("stale");
    setStatus("the design has errors: nothing was simulated");
    return;
  }
  showDiagnostics({ diagnostics: [] });
  $("right").classList.remove("stale");
  render(r);
  const secs = (performance.now() - t0) / 1000;
  setStatus(`updated ${secs.toFixed(2)} s after the change (simulation ${r.wall_s.toFixed(2)} s)`);
}

const ms = s => s == null ? "–" : (s * 1000 < 10 ? (s * 1000).toFixed(2) : (s * 1000).toFixed(1)) + " ms";
const pct = x => (x * 100).toFixed(1) + "%";
const usd = x => "$" + Math.round(x).toLocaleString("en-US");

function render(r) {
  const s = r.summary;
  last = r;
  runs += 1;
  $("run-count").textContent = runs;
  $("p50").textContent = ms(s.latency_s.p50);
  $("p99").textContent = ms(s.latency_s.p99);
  const q = s.requests;
  $("errors").textContent = `${pct(q.error_ratio)} (${q.failed + q.rejected + q.timed_out})`;
  $("throughput").textContent = s.throughput_per_s.toFixed(0) + " /s";
  $("cost").textContent = usd(s.cost.usd_per_month);
  const b = r.bottleneck;
  $("bottleneck").textContent = b ? `${b.sentence}${b.relieved_by ? " Relieved by: " + b.relieved_by + "." : ""}` : "";
  $("bottleneck").dataset.component = b ? b.component : "";
  $("diagram").innerHTML = r.diagram;
  utilization(s, b);
  $("fault-list").innerHTML = (s.faults || []).map(f =>
    `<li>${escapeHtml(f.kind)} ${escapeHtml(f.target)} at ${f.at_s.toFixed(0)} s: ${f.requests_failed} requests failed` +
    (f.detected_after_s != null ? `, detected after ${f.detected_after_s.toFixed(1)} s` : "") +
    (f.recovered_after_s != null ? `, recovered after ${f.recovered_after_s.toFixed(1)} s` : "") + "</li>").join("");
  $("charts").innerHTML = r.charts.map(([name, svg]) => `<figure data-name="${escapeHtml(name)}">${svg}</figure>`).join("");
  compare();
}

function utilization(s, b) {
  const rows = ["<tr><th>component</th><th>kind</th><th>utilization</th><th>busiest node</th><th>queue (mean)</th><th>errors</th></tr>"];
  for (const [name, c] of Object.entries(s.components)) {
    const hot = b && b.component === name ? ' class="hot"' : "";
    rows.push(`<tr${hot} data-component="${escapeHtml(name)}"><td>${escapeHtml(name)}</td><td>${c.kind}</td>` +
      `<td>${pct(c.utilization)}</td><td>${escapeHtml(c.busiest_node)}</td><td>${c.node_queue_mean.toFixed(2)}</td><td>${c.errors}</td></tr>`);
  }
  $("utilization").innerHTML = rows.join("");
}

// ---- compare with a pinned design, on the same seed ----
$("pin").addEventListener("click", () => {
  if (!last) return;
  pinned = { summary: last.summary, bottleneck: last.bottleneck, sets: sets() };
  $("pin").textContent = "pin this design instead";
  compare();
});

function compare() {
  if (!pinned || !last) return;
  const a = pinned.summary, b = last.summary;
  const row = (name, x, y, fmt, lowerIsBetter) => {
    const d = y - x;
    const cls = d === 0 ? "" : ((d < 0) === lowerIsBetter ? "better" : "worse");
    const sign = d > 0 ? "+" : d < 0 ? "−" : "";
    return `<tr><th>${name}</th><td>${fmt(x)}</td><td>${fmt(y)}</td><td class="${cls}">${sign}${fmt(Math.abs(d))}</td></tr>`;
  };
  const err = s => s.requests.error_ratio;
  $("compare").innerHTML = `<p class="small">pinned: ${escapeHtml(pinned.sets.join(", ") || "the scenario as written")} · seed ${a.seed}</p>` +
    "<table><tr><th></th><th>pinned</th><th>now</th><th>change</th></tr>" +
    row("P50", a.latency_s.p50, b.latency_s.p50, ms, true) +
    row("P99", a.latency_s.p99, b.latency_s.p99, ms, true) +
    row("errors", err(a), err(b), pct, true) +
    row("throughput", a.throughput_per_s, b.throughput_per_s, x => x.toFixed(0) + " /s", false) +
    row("cost / month", a.cost.usd_per_month, b.cost.usd_per_month, usd, true) +
    `<tr><th>bottleneck</th><td>${escapeHtml(pinned.bottleneck ? pinned.bottleneck.component : "–")}</td>` +
    `<td>${escapeHtml(last.bottleneck ? last.bottleneck.component : "–")}</td><td></td></tr></table>`;
}

// ---- faults and spikes: each appends to the scenario text ----
for (const button of document.querySelectorAll("#faults button")) {
  button.addEventListener("click", async () => {
    $("fault-message").textContent = "";
    let r;
    try { r = await post("/api/fault", design({ fault: button.dataset.fault })); } catch (e) { $("fault-message").textContent = e.message; return; }
    if (r.error) { $("fault-message").textContent = r.error; return; }
    editor.value = r.text;
    editor.scrollTop = editor.scrollHeight;
    changedAt = performance.now();
    validate();
  });
}

async function start() {
  let st;
  try { st = await post("/api/state", { text: "" }); } catch (e) { setStatus("error: " + e.message); return; }
  $("file").textContent = st.file;
  editor.value = st.text;
  gutter(new Set());
  buildControls(st.controls);
  changedAt = performance.now();
  validate();
}
start();
