// masterbox's browser page: built from the schema the box sends, kept in step
// by revisioned deltas, moved through the same session as the panel.
"use strict";
let ws = null, revision = -1, schema = [], values = {}, state = {}, token = "";
let history = [], grHistory = {}, grLabels = {};
token = sessionStorage.getItem("masterbox-token") || "";
const $ = (id) => document.getElementById(id);

function fmt(p, v) {
  if (p.choices.length) return p.choices[Math.round(v)];
  const d = (p.fmt.match(/\.(\d)/) || [0, 1])[1];
  const t = p.fmt.includes("g}") ? String(Number(Number(v).toPrecision(+d)))
    : Number(v).toFixed(Math.min(+d, 3));
  return p.unit ? (p.unit.startsWith(":") ? t + p.unit : t + " " + p.unit) : t;
}
// slider position 0..1000 along the control's taper, as the panel's bars
function toPos(p, v) {
  if (p.taper === "log") return 1000 * Math.log(v / p.min) / Math.log(p.max / p.min);
  return 1000 * (v - p.min) / (p.max - p.min);
}
function fromPos(p, x) {
  const f = x / 1000;
  if (p.taper === "log") return p.min * Math.exp(f * Math.log(p.max / p.min));
  const v = p.min + f * (p.max - p.min);
  return Math.round(v / p.fine_step) * p.fine_step;
}

function build() {
  const root = $("modules");
  root.innerHTML = "";
  const byModule = {};
  for (const p of schema) (byModule[p.id.split(".")[0]] ||= []).push(p);
  for (const [m, ps] of Object.entries(byModule)) {
    // in chain order, each folds away (a phone shows the modules it works on)
    const sec = document.createElement("details");
    sec.className = "card";
    sec.open = true;
    sec.innerHTML = `<summary><h2>${m}</h2></summary>`;
    for (const p of ps) {
      const row = document.createElement("div");
      row.className = "row";
      let input;
      if (p.choices.length) {
        input = document.createElement("select");
        p.choices.forEach((c, i) => input.add(new Option(c, i)));
      } else {
        input = document.createElement("input");
        input.type = "range"; input.min = 0; input.max = 1000; input.step = 1;
      }
      input.id = "in-" + p.id;
      input.dataset.param = p.id;
      input.disabled = !token;
      input.addEventListener("input", () => {
        const v = p.choices.length ? +input.value : fromPos(p, +input.value);
        send({type: "set", param: p.id, value: v});
      });
      const label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = p.label;
      label.title = p.doc || p.id;
      const out = document.createElement("span");
      out.id = "val-" + p.id;
      row.append(label, input, out);
      sec.append(row);
    }
    root.append(sec);
  }
  for (const p of schema) show(p.id);
}

// where the programme sits in a built-in profile's usual range, band by band
function position(pos) {
  if (!pos) return "";
  const cell = (r) => `<td class="${r.where}" title="usual ${r.q1.toFixed(1)}..${r.q3.toFixed(1)} dB">` +
    `${r.value.toFixed(1)}${{below: "&darr;", above: "&uarr;", inside: ""}[r.where]}</td>`;
  const row = (label, rows) => `<tr><th>${label}</th>${rows.map(cell).join("")}</tr>`;
  return `<div>against '${pos.profile}' (${pos.tracks} masters), level-free:</div>` +
    `<table class="position"><tr><th>dB</th>${pos.bands.map((b) => `<th>${b}</th>`).join("")}</tr>` +
    row("mid", pos.mid_db) + row("side", pos.side_db) + row("side/mid", pos.side_to_mid_db) + "</table>";
}

function show(pid) {
  const p = schema.find((q) => q.id === pid);
  const input = $("in-" + pid), out = $("val-" + pid);
  if (!p || !input) return;
  const v = values[pid];
  if (document.activeElement !== input) input.value = p.choices.length ? v : toPos(p, v);
  const ghost = (state.proposal || {})[pid];
  out.innerHTML = fmt(p, v) + (ghost ? ` <span class="ghost">&rarr; ${fmt(p, ghost.to)}</span>` : "");
}

function showState() {
  $("compare").classList.toggle("on", state.listen && state.listen.mode === "bypass");
  $("solo").value = state.solo || "stereo";
  // what is heard is not the master: say so at the top, whatever is scrolled to
  const solo = state.solo || "stereo", pf = state.platform;
  const gain = pf ? (pf.gain_db === null ? "measuring" : `${pf.gain_db > 0 ? "+" : ""}${pf.gain_db.toFixed(1)} dB`) : "";
  $("platform").value = pf ? pf.key : "off";
  $("platformgain").textContent = pf ? gain + (pf.reported ? " (reported rule)" : "") : "";
  const ctxs = state.contexts || [], cx = state.context === null || state.context === undefined ? null : ctxs[state.context];
  $("context").innerHTML = '<option value="-1">off</option>' + ctxs.map((c, i) =>
    `<option value="${i}">${c.name} (${c.delay_ms.toFixed(0)} ms late)</option>`).join("");
  $("context").value = cx ? String(state.context) : "-1";
  $("context").disabled = !ctxs.length;
  const cd = state.codec;
  $("codec").value = cd ? `${cd.name}/${cd.view}` : "off";
  codecPeak(cd);
  $("listenflag").hidden = solo === "stereo" && !pf && !cx && !cd;
  $("listenflag").textContent = [solo === "stereo" ? "" : "LISTENING: " + ($("solo").selectedOptions[0] || {}).textContent,
                                 pf ? `ON ${pf.name.toUpperCase()} ${gain}${pf.on === "delivery" ? " (THE DELIVERY)" : ""}` : "",
                                 cx ? `THROUGH ${cx.name.toUpperCase()}` : "",
                                 cd ? `${cd.name.toUpperCase()} ${cd.view.toUpperCase()}, ${cd.delay_ms.toFixed(0)} MS LATE` : ""]
    .filter(Boolean).join(" | ");
  $("ref").classList.toggle("on", state.listen && state.listen.mode === "reference");
  $("ref").disabled = !(state.references || []).length;
  $("refs").innerHTML = (state.references || []).map((r, i) =>
    `<option value="${i}" ${state.reference === i ? "selected" : ""}>${r.name} (${r.lufs.toFixed(1)} LUFS)</option>`).join("");
  $("snapshots").innerHTML = (state.snapshots || []).map((s, i) =>
    `<button data-recall="${i}" ${s.values ? "" : "disabled"} class="${state.active_slot === i ? "on" : ""}" ` +
    `aria-label="recall snapshot ${s.slot}">${s.slot}</button>`).join("");
  $("stores").innerHTML = "snapshots " + (state.snapshots || []).map((s, i) =>
    `<button data-store="${i}">store ${s.slot}</button>`).join(" ");
  const chosen = $("presets").value;
  $("presets").innerHTML = (state.presets || []).map(([n, builtin]) =>
    `<option value="${n}">${n}${builtin ? " (built in)" : ""}</option>`).join("");
  if (chosen) $("presets").value = chosen;
  $("pactive").textContent = state.preset ? state.preset + (state.modified ? " (modified)" : "") : "none";
  const rc = state.recall || {mode: "compare"};
  $("recallmode").value = rc.mode === "compare" ? "compare" : String(Math.round(rc.morph_ms));
  $("ptitle").textContent = state.proposal_slot === null || state.proposal_slot === undefined
    ? "Assistant's proposals" : `Assistant's proposal: a snapshot for ${"ABCD"[state.proposal_slot]} (accept stores it there)`;
  const prop = Object.entries(state.proposal || {});
  $("plist").innerHTML = prop.length ? prop.map(([pid, g]) =>
    `<div><b>${pid}</b> &rarr; ${g.to} <button data-accept="${pid}">accept</button>` +
    `<button data-reject="${pid}">reject</button><br><small>${g.reason}</small></div>`).join("") : "none";
  const rd = state.readings;
  $("readings").innerHTML = rd ? `<div>"${rd.word}" can mean:</div>` + rd.items.map((r, i) =>
    `<div><button data-choose="${i + 1}">${i + 1}. ${r.word}</button> <small>${r.says}` +
    ` (${r.moves} move${r.moves === 1 ? "" : "s"})</small></div>`).join("") : "";
  $("position").innerHTML = position(((state.proposal_info || {}).profile_position || {}).before);
  for (const p of schema) show(p.id);
}

// the curve's scales: 20 Hz - 20 kHz on a log axis across the 600 units,
// +-15 dB over the 200; decades drawn brighter and labelled
const GRID_HZ = [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000];
const DECADES = {100: "100", 1000: "1k", 10000: "10k"};
const GRID_DB = [-12, -6, 0, 6, 12];

// the curve's axes: 20 Hz - 20 kHz across 600 units, +-15 dB over 200
const cx = (f) => 600 * Math.log(f / 20) / Math.log(1000);
const cy = (db) => 100 - db * (100 / 15);
const fOf = (x) => 20 * Math.pow(1000, Math.min(Math.max(x, 0), 600) / 600);
const dbOf = (y) => (100 - y) * 15 / 100;
// the bands a finger moves: frequency and gain by dragging (a dynamic band's
// range, the most it moves), Q by the wheel; a double tap toggles a dynamic
// band and flattens a static one (a second brings its gain back); mid, side
// and stereo in their colours, a dynamic band as a ring; the assistant's
// proposal as a hollow handle to tap
const band = (id, label, p, on) => ({id, label, f: `${p}_freq_hz`, g: `${p}_${on ? "range" : "gain"}_db`,
                                     q: `${p}_q`, mode: `${p}_mode`, on});
const BANDS = [band("low_shelf", "L", "eq.low_shelf"), band("bell1", "1", "eq.bell1"),
               band("bell2", "2", "eq.bell2"), band("bell3", "3", "eq.bell3"),
               band("high_shelf", "H", "eq.high_shelf"),
               band("dyn1", "D1", "dyneq.b1", "dyneq.b1_on"), band("dyn2", "D2", "dyneq.b2", "dyneq.b2_on")];
const BAND = Object.fromEntries(BANDS.map((b) => [b.id, b]));
const MODE_COLOUR = ["#9cf", "#fc6", "#c9f"];          // stereo, mid, side
const flattened = {};
let lastCurve = null, dragging = null;

function handles() {
  const svg = $("curve");
  if (!svg || values["eq.bell1_freq_hz"] === undefined) return "";
  // a hit area a finger's 44 px across (46, with room for rounding), whatever the curve's width
  const hit = 23 * 600 / Math.max(svg.getBoundingClientRect().width, 1);
  const at = (b) => [cx(values[b.f]), cy(Math.min(Math.max(values[b.g], -12), 12))];
  // the proposals' hollow handles last, on top: a tap on one accepts them
  const ghosts = BANDS.map((b) => {
    const gf = (state.proposal || {})[b.f], gg = (state.proposal || {})[b.g];
    return gf || gg ? `<circle class="ghosthandle" data-band="${b.id}" cx="${cx(gf ? gf.to : values[b.f])}" ` +
      `cy="${cy(gg ? gg.to : values[b.g])}" r="${hit}" fill="transparent" stroke="#fc6" stroke-dasharray="3 2" ` +
      `role="button" aria-label="accept the proposal for EQ band ${b.label}"/>` : "";
  }).join("");
  return BANDS.map((b) => {
    const [x, y] = at(b), colour = MODE_COLOUR[Math.round(values[b.mode] || 0)];
    const off = b.on && !values[b.on];
    const dot = b.on ? `<circle cx="${x}" cy="${y}" r="7" fill="#000" stroke="${colour}" stroke-width="3" ` +
                       `opacity="${off ? 0.35 : 1}" pointer-events="none"/>`
                     : `<circle cx="${x}" cy="${y}" r="7" fill="${colour}" pointer-events="none"/>`;
    return `<g class="band"><circle class="hit" data-band="${b.id}" cx="${x}" cy="${y}" r="${hit}" ` +
      `fill="transparent" role="slider" tabindex="0" aria-label="EQ band ${b.label}: frequency and ` +
      `${b.on ? "range" : "gain"}" aria-valuetext="${Math.round(values[b.f])} Hz, ${values[b.g].toFixed(1)} dB` +
      `${off ? ", off" : ""}"/>${dot}<text x="${x - (b.label.length > 1 ? 6 : 3)}" y="${y + 4}" font-size="10" ` +
      `fill="${b.on ? colour : "#000"}" pointer-events="none">${b.label}</text></g>`;
  }).join("") + ghosts;
}

function svgPoint(e) {
  const svg = $("curve"), p = svg.createSVGPoint();
  p.x = e.clientX; p.y = e.clientY;
  return p.matrixTransform(svg.getScreenCTM().inverse());
}

function bandAt(e) { return e.target && e.target.dataset ? e.target.dataset.band : null; }

$("curve").addEventListener("pointerdown", (e) => {
  const b = BAND[bandAt(e)];
  if (!b || !token) return;
  if (e.target.classList.contains("ghosthandle")) {
    for (const pid of [b.f, b.g, b.q].filter((p) => (state.proposal || {})[p])) send({type: "accept", param: pid});
    return;
  }
  dragging = b;
  $("curve").setPointerCapture(e.pointerId);
  e.preventDefault();
});
$("curve").addEventListener("pointermove", (e) => {
  if (!dragging) return;
  const p = svgPoint(e), b = dragging;
  const f = Math.min(Math.max(fOf(p.x), 20), 20000), g = Math.round(Math.min(Math.max(dbOf(p.y), -12), 12) * 10) / 10;
  values[b.f] = f; values[b.g] = g;
  send({type: "set", param: b.f, value: f});
  send({type: "set", param: b.g, value: g});
  curve(lastCurve);
});
const drop = () => { dragging = null; };
$("curve").addEventListener("pointerup", drop);
$("curve").addEventListener("pointercancel", drop);
$("curve").addEventListener("wheel", (e) => {
  const b = BAND[bandAt(e)];
  if (!b || !token) return;
  e.preventDefault();
  const q = values[b.q] * Math.pow(1.1, e.deltaY < 0 ? 1 : -1);
  send({type: "set", param: b.q, value: Math.min(Math.max(q, 0.1), 10)});
}, {passive: false});
function toggleBand(b) {
  if (b.on) send({type: "set", param: b.on, value: values[b.on] ? 0 : 1});
  else if (values[b.g] !== 0) { flattened[b.id] = values[b.g]; send({type: "set", param: b.g, value: 0}); }
  else if (flattened[b.id] !== undefined) send({type: "set", param: b.g, value: flattened[b.id]});
}
$("curve").addEventListener("dblclick", (e) => {
  const b = BAND[bandAt(e)];
  if (b && token) toggleBand(b);
});
// from the keyboard: a focused handle's frequency by a semitone (left,
// right), its gain by 0.5 dB (up, down), Q with page up and down, Enter as
// the double tap
$("curve").addEventListener("keydown", (e) => {
  const b = BAND[bandAt(e)];
  if (!b || !token) return;
  const semitone = Math.pow(2, 1 / 12), set = (pid, v) => send({type: "set", param: pid, value: v});
  const moves = {
    ArrowLeft: () => set(b.f, Math.max(values[b.f] / semitone, 20)),
    ArrowRight: () => set(b.f, Math.min(values[b.f] * semitone, 20000)),
    ArrowUp: () => set(b.g, Math.min(values[b.g] + 0.5, 12)),
    ArrowDown: () => set(b.g, Math.max(values[b.g] - 0.5, -12)),
    PageUp: () => set(b.q, Math.min(values[b.q] * 1.1, 10)),
    PageDown: () => set(b.q, Math.max(values[b.q] / 1.1, 0.1)),
    Enter: () => toggleBand(b)};
  if (moves[e.key]) { e.preventDefault(); moves[e.key](); }
});

function curve(c) {
  if (!c) return;
  lastCurve = c;
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.band : null;
  const x = cx, y = cy;
  const path = (a) => c.f.map((f, i) => `${i ? "L" : "M"}${x(f).toFixed(1)},${y(a[i]).toFixed(1)}`).join("");
  const grid = GRID_HZ.map((f) => `<line class="grid${DECADES[f] ? " decade" : ""}" x1="${x(f)}" x2="${x(f)}" ` +
    `y1="0" y2="200" stroke="${DECADES[f] ? "#5a5a7a" : "#2a2a2a"}" shape-rendering="crispEdges"/>` +
    (DECADES[f] ? `<text x="${x(f) + 3}" y="12" fill="#889" font-size="11">${DECADES[f]}</text>` : "")).join("") +
    GRID_DB.map((db) => `<line x1="0" x2="600" y1="${y(db)}" y2="${y(db)}" stroke="${db ? "#2a2a2a" : "#444"}" ` +
    `shape-rendering="crispEdges"/><text x="3" y="${y(db) - 2}" fill="#889" font-size="10">` +
    `${db > 0 ? "+" : ""}${db} dB</text>`).join("");
  $("curve").innerHTML = grid +
    `<path d="${path(c.side)}" stroke="#c96" fill="none"/><path id="midcurve" d="${path(c.mid)}" stroke="#9cf" fill="none" stroke-width="2"/>` +
    handles();
  if (focused) {                       // a redraw keeps the keyboard on its handle
    const h = $("curve").querySelector(`circle.hit[data-band="${focused}"]`);
    if (h) h.focus();
  }
}

function addLog(rows) {
  const ol = $("loglist");
  for (const r of rows) {
    const li = document.createElement("li");
    const t = new Date(r.time * 1000).toLocaleTimeString();
    li.textContent = r.param ? `${t} ${r.source} ${r.param} ${r.from} -> ${r.to}` : `${t} ${r.source} ${r.kind}`;
    ol.prepend(li);
  }
  while (ol.children.length > 200) ol.lastChild.remove();
}

function codecPeak(cd) {
  const tp = cd && cd.true_peak_dbtp !== null ? `${cd.true_peak_dbtp > 0 ? "+" : ""}${cd.true_peak_dbtp.toFixed(2)} dBTP` : "";
  $("codecpeak").textContent = !cd ? "" : cd.error ? cd.error :
    `${cd.name.toUpperCase()} ${tp || "measuring"}` + (cd.late_ms > 0 ? `, late ${cd.late_ms.toFixed(0)} ms` : "");
}

// a meter as a bar: its scale's ends, the value's fill (from `from`), marks
// (the target, the ceiling) as lines; read at a glance, the figure beside it
const BARS = [["st", "short-term", -36, 0, "LUFS"], ["m", "momentary", -36, 0, "LUFS"],
              ["i", "integrated", -36, 0, "LUFS"], ["lra", "range", 0, 20, "LU"],
              ["tp", "true peak", -24, 3, "dBTP"], ["corr", "correlation", -1, 1, ""]];
let targets = {};

function bar(id, label, lo, hi, unit, value, from, marks, cls) {
  const pct = (v) => 100 * (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo);
  const known = value !== null && value !== undefined && isFinite(value);
  const a = pct(from), b = known ? pct(value) : a;
  const marksHtml = marks.map(([v, what]) => `<i class="mark" style="left:${pct(v)}%" title="${what}"></i>`).join("");
  return `<div class="meter"><span>${label}</span>` +
    `<div class="track" id="bar-${id}" data-lo="${lo}" data-hi="${hi}" role="meter" aria-label="${label}" ` +
    `aria-valuemin="${lo}" aria-valuemax="${hi}" aria-valuenow="${known ? value : lo}">` +
    `<b class="fill ${cls || ""}" style="left:${Math.min(a, b)}%;width:${Math.abs(b - a)}%"></b>${marksHtml}</div>` +
    `<span>${known ? value.toFixed(unit === "" ? 2 : 1) : "--"} ${unit}</span></div>`;
}

function meters(m) {
  if (state.codec && m.codec) codecPeak(m.codec);
  const f = (v) => (v === null || v === undefined) ? "--.-" : v.toFixed(1);
  $("st").textContent = f(m.short_term_lufs);
  const t = targets[state.target] || {lufs: -14, ceiling_dbtp: -1};
  $("sttarget").textContent = m.short_term_lufs === null || m.short_term_lufs === undefined ? "" :
    `${(m.short_term_lufs - t.lufs) > 0 ? "+" : ""}${(m.short_term_lufs - t.lufs).toFixed(1)} LU against ${t.lufs} (${state.target})`;
  const val = {st: m.short_term_lufs, m: m.momentary_lufs, i: m.integrated_lufs, lra: m.loudness_range_lu,
               tp: m.true_peak_dbtp, corr: m.correlation_recent};
  const marks = {st: [[t.lufs, "target"]], i: [[t.lufs, "target"]], tp: [[t.ceiling_dbtp, "ceiling"]]};
  $("bars").innerHTML = BARS.map(([id, label, lo, hi, unit]) =>
    bar(id, label, lo, hi, unit, val[id], id === "corr" ? 0 : lo, marks[id] || [],
        id === "tp" && val.tp > t.ceiling_dbtp ? "over" : "")).join("");
  // gain change per stage now, 0-12 dB: a cut amber, a boost green
  $("grbars").innerHTML = Object.entries(m.gr || {}).map(([k, v]) =>
    bar("gr-" + k, k, 0, 12, "dB", Math.abs(v), 0, [], v < 0 ? "boost" : "cut")).join("");
  history.push(m.short_term_lufs);
  if (history.length > 600) history.shift();
  for (const k of Object.keys(grHistory)) {
    grHistory[k].push((m.gr || {})[k] || 0);
    if (grHistory[k].length > 100) grHistory[k].shift();
  }
  drawHistory();
}

function drawHistory() {
  // the last minute of short-term loudness: -6 LUFS at the top, -36 at the
  // bottom, a line every 6 dB, a tick every 10 s, the target dashed
  const cv = $("history"), g = cv.getContext("2d");
  const y = (v) => cv.height * (-v - 6) / 30, x0 = 30;
  g.fillStyle = "#000"; g.fillRect(0, 0, cv.width, cv.height);
  g.font = "10px sans-serif"; g.lineWidth = 1;
  for (let db = -12; db >= -36; db -= 6) {
    g.strokeStyle = "#333"; g.beginPath(); g.moveTo(x0, y(db)); g.lineTo(cv.width, y(db)); g.stroke();
    g.fillStyle = "#aaa"; g.fillText(String(db), 2, y(db) + 3);
  }
  for (let s = 0; s <= 60; s += 10) {
    const x = x0 + (cv.width - x0) * (60 - s) / 60;
    g.strokeStyle = "#333"; g.beginPath(); g.moveTo(x, 0); g.lineTo(x, cv.height); g.stroke();
    g.fillStyle = "#aaa"; g.fillText(s ? `-${s}s` : "now", Math.min(x + 2, cv.width - 24), cv.height - 2);
  }
  const t = targets[state.target];
  if (t) {
    g.strokeStyle = "#fc6"; g.setLineDash([4, 3]); g.beginPath();
    g.moveTo(x0, y(t.lufs)); g.lineTo(cv.width, y(t.lufs)); g.stroke(); g.setLineDash([]);
  }
  g.strokeStyle = "#9cf"; g.beginPath();
  const step = (cv.width - x0) / 600, first = 600 - history.length;
  history.forEach((v, i) => { if (v !== null) g.lineTo(x0 + (first + i) * step, y(v)); });
  g.stroke();
  // gain change per stage, the last ten seconds, 0-12 dB: a reduction down
  // from each row's top (amber), a boost up from its bottom (green)
  const gs = $("grstrips"), h = gs.getContext("2d"), keys = Object.keys(grHistory);
  const row = gs.height / Math.max(keys.length, 1);
  h.fillStyle = "#000"; h.fillRect(0, 0, gs.width, gs.height);
  keys.forEach((k, r) => {
    h.fillStyle = "#666"; h.fillText(grLabels[k] || k, 2, r * row + row - 3);
    grHistory[k].forEach((v, i) => {
      const len = Math.max(Math.min(Math.abs(v) / 12, 1) * (row - 2), 1);
      if (v >= 0.05) { h.fillStyle = "#c96"; h.fillRect(20 + i * 5.8, r * row + 1, 5, len); }
      if (v <= -0.05) { h.fillStyle = "#6c9"; h.fillRect(20 + i * 5.8, r * row + row - 1 - len, 5, len); }
    });
  });
}

function send(m) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(m)); }

function onMessage(e) {
  const m = JSON.parse(e.data);
  if (m.type === "snapshot") {
    revision = m.revision; values = m.values; schema = m.schema; state = m.state;
    targets = m.targets || {};
    $("codec").innerHTML = '<option value="off">off</option>' + (m.codecs || []).map((c) =>
      `<option value="${c}/decoded">${c.toUpperCase()}</option><option value="${c}/difference">${c.toUpperCase()} difference</option>`).join("");
    $("codec").disabled = !(m.codecs || []).length;
    $("platform").innerHTML = '<option value="off">off</option>' + (m.platforms || []).map((p) =>
      `<option value="${p.key}">${p.name}${p.reported ? " (reported)" : ""}</option>`).join("");
    build(); showState(); curve(m.eq_curve); $("loglist").innerHTML = ""; addLog(m.log);
    if (m.history) {
      history = m.history.short_term.slice(); grHistory = {}; grLabels = m.history.labels || {};
      for (const [k, v] of Object.entries(m.history.gr)) grHistory[k] = v.slice();
      drawHistory();
    }
  } else if (m.type === "change") {
    if (revision >= 0 && m.revision !== revision + 1) { send({type: "resync", revision}); return; }
    revision = m.revision;
    for (const [pid, [, nv]] of Object.entries(m.values)) { values[pid] = nv; show(pid); }
    if (m.state) { state = m.state; showState(); }
    else if (state.modified !== m.modified) { state.modified = m.modified; showState(); }
    if (m.eq_curve || m.state) curve(m.eq_curve || lastCurve);
    addLog(Object.entries(m.values).map(([p, [o, n]]) => ({time: m.time, source: m.source, param: p, from: o, to: n}))
      .concat(Object.keys(m.values).length ? [] : [{time: m.time, source: m.source, kind: m.kind}]));
  } else if (m.type === "meters") {
    meters(m);
  } else if (m.type === "paired") {
    token = m.token;
    sessionStorage.setItem("masterbox-token", token);
    $("pair").hidden = true; $("paired").hidden = false;
    document.querySelectorAll("[data-param]").forEach((el) => (el.disabled = false));
    $("logtxt").href = "/log.txt?token=" + token; $("logjson").href = "/log.json?token=" + token;
  } else if (m.type === "error") {
    $("conn").textContent = m.text;
  }
}

function connect() {
  ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  ws.onopen = () => { $("conn").textContent = "connected"; $("conn").className = "ok";
    if (token) send({type: "pair", token});
    if (revision >= 0) send({type: "resync", revision}); };
  ws.onmessage = onMessage;
  ws.onclose = () => { $("conn").textContent = "reconnecting"; $("conn").className = ""; setTimeout(connect, 1000); };
}

$("askform").addEventListener("submit", (e) => { e.preventDefault(); send({type: "ask", what: $("askwhat").value}); });
$("pair").addEventListener("submit", (e) => { e.preventDefault(); send({type: "pair", code: $("code").value}); });
$("compare").addEventListener("click", () => send({type: "compare", on: !(state.listen && state.listen.mode === "bypass")}));
$("solo").addEventListener("change", () => send({type: "listen", mode: $("solo").value}));
$("platform").addEventListener("change", () => send({type: "platform", name: $("platform").value}));
$("codec").addEventListener("change", () => {
  const [name, view] = $("codec").value.split("/");
  send(name === "off" ? {type: "codec", name: "off"} : {type: "codec", name: name, view: view});
});
$("context").addEventListener("change", () => send({type: "context", index: Number($("context").value)}));
$("undo").addEventListener("click", () => send({type: "undo"}));
$("ref").addEventListener("click", () => send({type: "reference", on: !(state.listen && state.listen.mode === "reference")}));
$("refs").addEventListener("change", () => send({type: "reference", index: +$("refs").value,
  on: state.listen && state.listen.mode === "reference"}));
$("redo").addEventListener("click", () => send({type: "redo"}));
$("pload").addEventListener("click", () => send({type: "preset_load", name: $("presets").value}));
$("psave").addEventListener("click", () => send({type: "preset_save", name: $("pname").value,
  overwrite: $("pover").checked}));
$("recallmode").addEventListener("change", () => {
  const v = $("recallmode").value;
  send(v === "compare" ? {type: "recall_mode", mode: "compare"} : {type: "recall_mode", mode: "perform", morph_ms: +v});
});
document.addEventListener("click", (e) => {
  const d = e.target.dataset;
  if (d.recall) send({type: "recall", slot: +d.recall});
  if (d.store) send({type: "store", slot: +d.store});
  if (d.accept) send({type: "accept", param: d.accept});
  if (d.reject) send({type: "reject", param: d.reject});
  if (d.choose) send({type: "choose", reading: +d.choose});
});
connect();
