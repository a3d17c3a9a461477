// The minimax stepper: replays the library's search trace (POST /api/minimax) one event at a time on an SVG tree.
"use strict";

const M = {data: null, step: 0, timer: null, children: [], x: [], y: [], lastTree: null};
const $ = (id) => document.getElementById(id);

function events() { return M.data ? M.data[$("algorithm").value].events : []; }
function label(k) { return M.data.nodes[k].label; }

async function load(request) {
  $("error").textContent = "";
  try {
    M.data = await Lab.api("/api/minimax", request);
  } catch (e) {
    $("error").textContent = e.message;
    return;
  }
  M.lastTree = request;
  $("leaves").value = M.data.leaves.map(Lab.fmt).join(", ");
  layout();
  setStep(0);
}

function newTree() {
  const kind = $("tree-kind").value;
  if (kind === "random") {
    load({tree: "random", depth: +$("depth").value, branching: +$("branching").value, seed: +$("seed").value});
  } else {
    load({tree: "lesson"});
  }
}

function applyLeaves() {
  const typed = $("leaves").value.split(/[\s,;]+/).filter((t) => t !== "").map(Number);
  if (typed.some((v) => !Number.isFinite(v))) {
    $("error").textContent = "the leaves must be numbers separated by commas or blanks";
    return;
  }
  load({tree: "custom", branching: M.data.branching, leaves: typed});
}

// Leaves spread evenly left to right in depth-first order, inner nodes centred over their children.
function layout() {
  const nodes = M.data.nodes;
  M.children = nodes.map(() => []);
  for (const n of nodes) if (n.parent >= 0) M.children[n.parent].push(n.id);
  const depth = Math.max(...nodes.map((n) => n.depth));
  const leaves = [];
  (function walk(k) { if (M.children[k].length === 0) leaves.push(k); else M.children[k].forEach(walk); })(0);
  const gap = 940 / Math.max(1, leaves.length - 1);
  M.x = new Array(nodes.length); M.y = new Array(nodes.length);
  leaves.forEach((k, i) => { M.x[k] = 30 + (leaves.length === 1 ? 470 : i * gap); });
  for (let k = nodes.length - 1; k >= 0; k--) {
    const c = M.children[k];
    if (c.length) M.x[k] = (M.x[c[0]] + M.x[c[c.length - 1]]) / 2;
    M.y[k] = 34 + nodes[k].depth * (270 / Math.max(1, depth));
  }
  M.radius = Math.max(5, Math.min(17, gap * 0.42));
}

// The search's state after the first `count` events: values backed up, windows, cut subtrees, the current node.
function replay(count) {
  const s = {value: {}, window: {}, visited: new Set(), cut: new Set(), cutRoots: [], current: null, text: ""};
  const list = events().slice(0, count);
  for (const e of list) {
    s.current = e.node;
    if (e.kind === "visit") {
      s.visited.add(e.node);
      if (e.alpha !== null && e.alpha !== undefined) s.window[e.node] = [e.alpha, e.beta];
    } else if (e.kind === "backup") {
      s.value[e.node] = {v: e.value[0], bound: e.bound};
    } else if (e.kind === "cutoff") {
      for (const p of e.pruned) {
        s.cutRoots.push(p);
        (function mark(k) { s.cut.add(k); M.children[k].forEach(mark); })(p);
      }
    }
  }
  if (list.length) s.text = describe(list[list.length - 1]);
  return s;
}

function role(k) {
  const p = M.data.nodes[k].player;
  return p === "leaf" ? "leaf" : p.toUpperCase();
}

function describe(e) {
  if (e.kind === "visit") {
    const w = e.alpha === null || e.alpha === undefined ? "" : `, window [α ${Lab.fmt(e.alpha)}, β ${Lab.fmt(e.beta)}]`;
    return `visit ${label(e.node)} (${role(e.node)})${w}`;
  }
  if (e.kind === "backup") {
    const rel = {exact: "=", lower: "≥", upper: "≤"}[e.bound];
    const via = e.action === null ? "" : ` via ${label(M.children[e.node][e.action])}`;
    return `back up ${label(e.node)} ${rel} ${Lab.fmt(e.value[0])}${via}`;
  }
  return `cutoff at ${label(e.node)}: α ${Lab.fmt(e.alpha)} ≥ β ${Lab.fmt(e.beta)}, cut ${e.pruned.map(label).join(", ")}`;
}

function shape(g, k, fill, stroke) {
  const x = M.x[k], y = M.y[k], r = M.radius, p = M.data.nodes[k].player;
  let points;
  if (p === "max") points = `${x},${y - r} ${x + r * 1.1},${y + r * 0.8} ${x - r * 1.1},${y + r * 0.8}`;
  else if (p === "min") points = `${x},${y + r} ${x + r * 1.1},${y - r * 0.8} ${x - r * 1.1},${y - r * 0.8}`;
  if (points) return Lab.svg("polygon", {points, fill, stroke, "stroke-width": 1.5}, g);
  return Lab.svg("rect", {x: x - r * 0.85, y: y - r * 0.85, width: r * 1.7, height: r * 1.7, rx: 2, fill, stroke,
                          "stroke-width": 1.5}, g);
}

function draw(s, finished) {
  const svg = $("tree");
  Lab.clear(svg);
  const nodes = M.data.nodes;
  const pv = new Set(finished ? M.data[$("algorithm").value].principal_variation : []);
  const font = Math.max(8, Math.min(13, M.radius * 0.8));
  for (const n of nodes) {
    if (n.parent < 0) continue;
    const cut = s.cut.has(n.id), onPv = pv.has(n.id) && pv.has(n.parent);
    Lab.svg("line", {x1: M.x[n.parent], y1: M.y[n.parent], x2: M.x[n.id], y2: M.y[n.id],
                     stroke: onPv ? "#15803d" : cut ? "#a3a9b5" : "#667085", "stroke-width": onPv ? 4 : 1.5,
                     "stroke-dasharray": cut ? "5 4" : "", class: cut ? "edge cut" : "edge"}, svg);
  }
  for (const n of nodes) {
    const k = n.id, g = Lab.svg("g", {class: "node", "data-label": n.label}, svg);
    const state = s.cut.has(k) ? "cut" : k === s.current ? "current" : k in s.value ? "done"
      : s.visited.has(k) ? "open" : "unvisited";
    g.setAttribute("data-state", state);
    const fill = {cut: "#f2f4f7", current: "#fde68a", done: n.player === "min" ? "#fde3d3" : "#dbe5fb",
                  open: "#fff7e0", unvisited: "#fff"}[state];
    const stroke = state === "cut" ? "#a3a9b5" : n.player === "min" ? "#c2410c" : n.player === "max" ? "#2857c5"
      : "#475467";
    shape(g, k, fill, stroke);
    let shown = "";
    if (n.player === "leaf") shown = Lab.fmt(n.value);
    if (k in s.value) shown = ({exact: "", lower: "≥", upper: "≤"}[s.value[k].bound]) + Lab.fmt(s.value[k].v);
    Lab.text(g, M.x[k], M.y[k] + font * 0.35, shown, {"text-anchor": "middle", "font-size": font,
      "font-weight": k in s.value ? 700 : 400, fill: state === "cut" ? "#a3a9b5" : "#1d2330", class: "value"});
    if (nodes.length <= 60 || n.player !== "leaf") {
      Lab.text(g, M.x[k], M.y[k] + M.radius + font + 1, n.label, {"text-anchor": "middle", "font-size": font * 0.85,
        fill: "#667085"});
    }
    const w = s.window[k];
    if (w && !(k in s.value) && n.player !== "leaf") {
      Lab.text(g, M.x[k] + M.radius * 1.3, M.y[k] - M.radius * 0.2, `[${Lab.fmt(w[0])}, ${Lab.fmt(w[1])}]`,
               {"font-size": font * 0.9, fill: "#7c3aed", class: "window"});
    }
    if (n.player === "leaf") {
      g.style.cursor = "pointer";
      g.addEventListener("click", () => editLeaf(k));
    }
  }
}

function editLeaf(k) {
  const leaves = M.data.nodes.filter((n) => n.player === "leaf").map((n) => n.id);
  const typed = prompt(`new value of leaf ${label(k)} (for MAX)`, Lab.fmt(M.data.nodes[k].value));
  if (typed === null) return;
  const v = Number(typed);
  if (!Number.isFinite(v)) { $("error").textContent = `${typed} is not a number`; return; }
  const values = M.data.leaves.slice();
  values[leaves.indexOf(k)] = v;
  load({tree: "custom", branching: M.data.branching, leaves: values});
}

function setStep(k) {
  const n = events().length;
  M.step = Math.max(0, Math.min(n, k));
  const finished = M.step === n;
  const s = replay(M.step);
  draw(s, finished);
  $("event").textContent = M.step === 0 ? "Press forward or play." : `${M.step}. ${s.text}`;
  $("step-count").textContent = `step ${M.step} of ${n}`;
  $("back").disabled = $("first").disabled = M.step === 0;
  $("forward").disabled = $("last").disabled = finished;
  const search = M.data[$("algorithm").value], ab = M.data.alphabeta;
  $("root-value").textContent = finished ? Lab.fmt(search.value) : "(searching)";
  $("principal-variation").textContent = finished
    ? search.principal_variation.slice(1).map(label).join(" → ") : "(at the end)";
  const cut = s.cutRoots.map(label);
  $("cut-branches").textContent = $("algorithm").value === "minimax" ? "none: minimax searches every branch"
    : cut.length ? cut.join(", ") : "none yet";
  $("cut-branches").dataset.cut = JSON.stringify(cut);
  $("skipped-leaves").textContent = finished && $("algorithm").value === "alphabeta"
    ? (ab.skipped_leaves.map(label).join(", ") || "none") : "(at the end of alpha-beta)";
  $("minimax-leaves").textContent = M.data.minimax.leaves_evaluated;
  $("alphabeta-leaves").textContent = ab.leaves_evaluated;
  $("leaves-skipped").textContent = `${ab.leaves_skipped} of ${M.data.leaves.length}`;
  $("certificate").textContent = Lab.fmt(search.exploitability);
  if (finished) pause();
}

function play() {
  if (M.timer) { pause(); return; }
  if (M.step === events().length) setStep(0);
  $("play").textContent = "❚❚ pause";
  M.timer = setInterval(() => setStep(M.step + 1), 550);
}

function pause() {
  clearInterval(M.timer);
  M.timer = null;
  $("play").textContent = "▶ play";
}

document.addEventListener("DOMContentLoaded", () => {
  $("tree-kind").addEventListener("change", () => { $("random-controls").hidden = $("tree-kind").value !== "random"; });
  $("build").addEventListener("click", newTree);
  $("apply").addEventListener("click", applyLeaves);
  $("algorithm").addEventListener("change", () => { pause(); setStep(0); });
  $("first").addEventListener("click", () => { pause(); setStep(0); });
  $("back").addEventListener("click", () => { pause(); setStep(M.step - 1); });
  $("forward").addEventListener("click", () => setStep(M.step + 1));
  $("last").addEventListener("click", () => setStep(events().length));
  $("play").addEventListener("click", play);
  load({tree: "lesson"});
});
