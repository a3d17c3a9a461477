// The dynamics playground: runs methods on a game (POST /api/dynamics) and animates the recorded trajectories on
// the simplex, the square or the plane, beside the distance to the equilibrium (log scale).
"use strict";

const D = {data: null, frame: 0, timer: null};
const $ = (id) => document.getElementById(id);
const DEFAULT_METHODS = ["gda", "optimistic_gda", "extragradient"];

async function init() {
  let options;
  try { options = await Lab.api("/api/dynamics/options"); } catch (e) { $("error").textContent = e.message; return; }
  for (const g of options.games) {
    const o = document.createElement("option");
    o.value = g; o.textContent = g === "bimatrix" ? "typed 2x2 / 3x3 bimatrix" : g;
    $("game").appendChild(o);
  }
  for (const m of options.methods) {
    const span = document.createElement("span");
    span.className = "method";
    span.dataset.method = m.name;
    span.title = m.description;
    const step = m.uses_step_size ? ` <input type="number" class="step" step="0.01" min="0" value="0.05" title="step size">`
      : ` <span class="muted">(no step size)</span>`;
    span.innerHTML = `<label><input type="checkbox" class="use"${DEFAULT_METHODS.includes(m.name) ? " checked" : ""}> `
      + `${m.name}</label>${step}`;
    $("methods").appendChild(span);
  }
  $("game").addEventListener("change", () => { $("matrices").hidden = $("game").value !== "bimatrix"; });
  $("run").addEventListener("click", run);
  $("play").addEventListener("click", play);
  $("frame").addEventListener("input", () => { pause(); show(+$("frame").value); });
}

async function run() {
  pause();
  $("error").textContent = "";
  const methods = [];
  for (const span of document.querySelectorAll("#methods .method")) {
    if (!span.querySelector(".use").checked) continue;
    const step = span.querySelector(".step");
    methods.push({name: span.dataset.method, step_size: step ? Number(step.value) : 0.05});
  }
  const body = {game: $("game").value, steps: Number($("steps").value), methods};
  if (body.game === "bimatrix") { body.row = $("row").value; body.column = $("column").value; }
  $("run").disabled = true;
  $("run").textContent = "running…";
  try {
    D.data = await Lab.api("/api/dynamics", body);
  } catch (e) {
    $("error").textContent = e.message;
    return;
  } finally {
    $("run").disabled = false;
    $("run").textContent = "Run";
  }
  const records = D.data.runs[0].steps.length;
  $("frame").max = records - 1;
  $("note").textContent = D.data.note || "";
  show(0);
  play();
}

function play() {
  if (!D.data) return;
  if (D.timer) { pause(); return; }
  const last = D.data.runs[0].steps.length - 1;
  if (D.frame >= last) show(0);
  $("play").textContent = "❚❚ pause";
  D.timer = setInterval(() => {
    if (D.frame >= last) { pause(); return; }
    show(Math.min(last, D.frame + Math.max(1, Math.round(last / 150))));
  }, 40);
}

function pause() {
  clearInterval(D.timer);
  D.timer = null;
  $("play").textContent = "▶ play";
}

function show(frame) {
  D.frame = frame;
  $("frame").value = frame;
  const runs = D.data.runs;
  $("frame-label").textContent = `step ${runs[0].steps[Math.min(frame, runs[0].steps.length - 1)]} of ${D.data.steps}`;
  drawPhase(frame);
  drawDistance(frame);
  table(frame);
}

// -- the phase picture ---------------------------------------------------------------------------------------
function at(run, player, record) {
  const rows = run.params[player];
  return rows[Math.min(record, rows.length - 1)];
}

function drawPhase(frame) {
  const svg = $("phase");
  Lab.clear(svg);
  const d = D.data;
  if (d.drawing === "simplex") {
    for (let i = 0; i < 2; i++) simplexPanel(svg, 25 + i * 305, 28, 265, i, frame);
  } else if (d.drawing === "square") {
    squarePanel(svg, frame);
  } else {
    planePanel(svg, frame);
  }
}

function trajectory(svg, points, colour, name) {
  const finite = points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  if (!finite.length) return;
  Lab.svg("polyline", {points: finite.map((p) => p.join(",")).join(" "), fill: "none", stroke: colour,
                       "stroke-width": 1.6, "stroke-opacity": 0.85, "data-method": name}, svg);
  const [x, y] = finite[finite.length - 1];
  Lab.svg("circle", {cx: x, cy: y, r: 4.5, fill: colour, stroke: "#fff", "stroke-width": 1.2}, svg);
}

function star(svg, x, y) {
  Lab.text(svg, x, y + 6, "★", {"text-anchor": "middle", "font-size": 18, fill: "#1d2330", stroke: "#fff",
                                 "stroke-width": 0.8, class: "equilibrium"});
}

function simplexPanel(svg, x0, y0, side, player, frame) {
  const h = side * Math.sqrt(3) / 2;
  const V = [[x0 + side / 2, y0], [x0, y0 + h], [x0 + side, y0 + h]];
  const map = (p) => [p[0] * V[0][0] + p[1] * V[1][0] + p[2] * V[2][0], p[0] * V[0][1] + p[1] * V[1][1] + p[2] * V[2][1]];
  Lab.svg("polygon", {points: V.map((v) => v.join(",")).join(" "), fill: "#fbfcfe", stroke: "#98a2b3"}, svg);
  const labels = D.data.action_labels[player];
  Lab.text(svg, V[0][0], V[0][1] - 8, labels[0], {"text-anchor": "middle", "font-size": 13});
  Lab.text(svg, V[1][0] - 4, V[1][1] + 16, labels[1], {"text-anchor": "start", "font-size": 13});
  Lab.text(svg, V[2][0] + 4, V[2][1] + 16, labels[2], {"text-anchor": "end", "font-size": 13});
  Lab.text(svg, x0 + side / 2, y0 + h + 34, `player ${player + 1}`, {"text-anchor": "middle", "font-size": 13,
                                                                     fill: "#667085"});
  D.data.runs.forEach((run, m) => {
    const pts = [];
    for (let r = 0; r <= frame; r++) pts.push(map(at(run, player, r)));
    trajectory(svg, pts, Lab.colours[m % Lab.colours.length], run.method);
  });
  if (D.data.equilibrium) star(svg, ...map(D.data.equilibrium[player]));
}

function axes(svg, x0, y0, w, h, xlabel, ylabel) {
  Lab.svg("rect", {x: x0, y: y0, width: w, height: h, fill: "#fbfcfe", stroke: "#98a2b3"}, svg);
  Lab.text(svg, x0 + w / 2, y0 + h + 30, xlabel, {"text-anchor": "middle", "font-size": 13, fill: "#667085"});
  Lab.text(svg, x0 - 34, y0 + h / 2, ylabel, {"text-anchor": "middle", "font-size": 13, fill: "#667085",
                                              transform: `rotate(-90 ${x0 - 34} ${y0 + h / 2})`});
}

function squarePanel(svg, frame) {
  const x0 = 70, y0 = 15, s = 270, labels = D.data.action_labels;
  axes(svg, x0, y0, s, s, `P(player 1 plays ${labels[0][0]})`, `P(player 2 plays ${labels[1][0]})`);
  for (const t of [0, 0.5, 1]) {
    Lab.text(svg, x0 + t * s, y0 + s + 14, t, {"text-anchor": "middle", "font-size": 11, fill: "#667085"});
    Lab.text(svg, x0 - 6, y0 + (1 - t) * s + 4, t, {"text-anchor": "end", "font-size": 11, fill: "#667085"});
  }
  const map = (p, q) => [x0 + p * s, y0 + (1 - q) * s];
  D.data.runs.forEach((run, m) => {
    const pts = [];
    for (let r = 0; r <= frame; r++) pts.push(map(at(run, 0, r)[0], at(run, 1, r)[0]));
    trajectory(svg, pts, Lab.colours[m % Lab.colours.length], run.method);
  });
  if (D.data.equilibrium) star(svg, ...map(D.data.equilibrium[0][0], D.data.equilibrium[1][0]));
}

function planePanel(svg, frame) {
  const x0 = 70, y0 = 15, s = 270;
  // The window: three times the start's distance from the equilibrium, so a run that spirals out leaves it.
  const eq = D.data.equilibrium || [[0], [0]], start = D.data.start;
  const reach = 1.6 * Math.max(Math.abs(start[0][0] - eq[0][0]), Math.abs(start[1][0] - eq[1][0]), 1e-6);
  axes(svg, x0, y0, s, s, "x (player 1)", "y (player 2)");
  for (const t of [-1, 0, 1]) {
    Lab.text(svg, x0 + (t + 1) / 2 * s, y0 + s + 14, Lab.fmt(eq[0][0] + t * reach), {"text-anchor": "middle",
      "font-size": 11, fill: "#667085"});
    Lab.text(svg, x0 - 6, y0 + (1 - (t + 1) / 2) * s + 4, Lab.fmt(eq[1][0] + t * reach), {"text-anchor": "end",
      "font-size": 11, fill: "#667085"});
  }
  const clip = (v) => Math.max(-1, Math.min(1, v));
  const map = (x, y) => [x0 + (clip((x - eq[0][0]) / reach) + 1) / 2 * s, y0 + (1 - (clip((y - eq[1][0]) / reach) + 1) / 2) * s];
  D.data.runs.forEach((run, m) => {
    const pts = [];
    for (let r = 0; r <= frame; r++) pts.push(map(at(run, 0, r)[0], at(run, 1, r)[0]));
    trajectory(svg, pts, Lab.colours[m % Lab.colours.length], run.method);
  });
  star(svg, ...map(eq[0][0], eq[1][0]));
}

// -- the distance plot ----------------------------------------------------------------------------------------
function drawDistance(frame) {
  const svg = $("distance-plot");
  Lab.clear(svg);
  const x0 = 70, y0 = 15, w = 360, h = 270, runs = D.data.runs;
  const metric = runs[0].metric === "distance" ? "distance to the equilibrium" : "Nash-conv";
  axes(svg, x0, y0, w, h, "step", `${metric} (log scale)`);
  const all = runs.flatMap((r) => r.values).filter((v) => v !== null && v > 0);
  let lo = Math.floor(Math.log10(Math.max(1e-12, Math.min(...all, 1))));
  let hi = Math.ceil(Math.log10(Math.max(...all, 1e-12)));
  if (hi <= lo) hi = lo + 1;
  const steps = D.data.steps;
  const X = (s) => x0 + s / steps * w;
  const Y = (v) => y0 + (hi - Math.log10(Math.max(v, 10 ** lo))) / (hi - lo) * h;
  for (let e = lo; e <= hi; e++) {
    Lab.svg("line", {x1: x0, x2: x0 + w, y1: Y(10 ** e), y2: Y(10 ** e), stroke: "#eaecf0"}, svg);
    Lab.text(svg, x0 - 6, Y(10 ** e) + 4, `1e${e}`, {"text-anchor": "end", "font-size": 11, fill: "#667085"});
  }
  for (const s of [0, steps / 2, steps]) {
    Lab.text(svg, X(s), y0 + h + 14, Math.round(s), {"text-anchor": "middle", "font-size": 11, fill: "#667085"});
  }
  runs.forEach((run, m) => {
    const colour = Lab.colours[m % Lab.colours.length];
    const pts = [];
    run.values.forEach((v, r) => { if (v !== null && v > 0) pts.push([X(run.steps[r]), Y(v)]); });
    Lab.svg("polyline", {points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: colour,
                         "stroke-width": 1.8, class: "distance", "data-method": run.method,
                         "data-last": run.values[run.values.length - 1]}, svg);
    const now = run.values[Math.min(frame, run.values.length - 1)];
    if (now !== null && now > 0) {
      Lab.svg("circle", {cx: X(run.steps[Math.min(frame, run.steps.length - 1)]), cy: Y(now), r: 4, fill: colour},
              svg);
    }
    // The legend beside the plot, where no curve can hide it.
    Lab.svg("line", {x1: x0 + w + 10, x2: x0 + w + 30, y1: y0 + 8 + m * 17, y2: y0 + 8 + m * 17, stroke: colour,
                     "stroke-width": 3}, svg);
    Lab.text(svg, x0 + w + 35, y0 + 12 + m * 17, run.method, {"font-size": 12});
  });
}

function table(frame) {
  const t = $("runs");
  const metric = D.data.runs[0].metric === "distance" ? "distance" : "Nash-conv";
  t.innerHTML = `<tr><th>method</th><th>step size</th><th>spectral radius at the equilibrium</th><th>predicts</th>`
    + `<th>${metric} at start</th><th>${metric} now</th><th>${metric} at the end</th>`
    + `<th>time average at the end</th><th>run</th></tr>`;
  D.data.runs.forEach((run, m) => {
    const tr = document.createElement("tr");
    tr.dataset.method = run.method;
    const now = run.values[Math.min(frame, run.values.length - 1)];
    const status = run.diverged ? `diverged at step ${run.diverged_at}`
      : run.completed ? `${run.steps_run} steps` : run.stopped_because;
    const cells = [
      `<span class="swatch" style="background:${Lab.colours[m % Lab.colours.length]}"></span>${run.method}`,
      Lab.fmt(run.step_size), run.spectral_radius === null ? `<span class="muted" title="${run.spectral_radius_note}">—</span>`
        : run.spectral_radius.toFixed(6), run.classification || "—", Lab.fmt(run.values[0]),
      `<span class="now">${Lab.fmt(now)}</span>`, Lab.fmt(run.values[run.values.length - 1]),
      Lab.fmt(run.average_values[run.average_values.length - 1]), status];
    tr.innerHTML = cells.map((c) => `<td>${c}</td>`).join("");
    tr.querySelector(".now").dataset.value = now === null ? "" : String(now);
    t.appendChild(tr);
  });
}

document.addEventListener("DOMContentLoaded", init);
