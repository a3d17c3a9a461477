// The solve page: sends a typed bimatrix or a file's text to POST /api/solve and shows every equilibrium with its
// certificate, and the best-response picture when a player has two actions.
"use strict";

const $ = (id) => document.getElementById(id);

async function init() {
  try {
    const options = await Lab.api("/api/solve/options");
    for (const [kind, title] of [["normal_form", "normal form"], ["extensive_form", "game trees"]]) {
      const group = document.createElement("optgroup");
      group.label = title;
      for (const s of options[kind]) {
        const o = document.createElement("option");
        o.value = s.name; o.textContent = s.name; o.title = s.description;
        group.appendChild(o);
      }
      $("method").appendChild(group);
    }
  } catch (e) { $("error").textContent = e.message; }
  for (const radio of document.querySelectorAll("input[name=input]")) {
    radio.addEventListener("change", () => {
      const file = document.querySelector("input[name=input]:checked").value === "file";
      $("paste").hidden = file; $("upload").hidden = !file;
    });
  }
  $("solve").addEventListener("click", solve);
}

async function request() {
  if (document.querySelector("input[name=input]:checked").value === "bimatrix") {
    return {input: "bimatrix", row: $("row").value, column: $("column").value};
  }
  const file = $("file").files[0];
  if (!file) throw new Error("choose a .nfg, .efg or .json file first");
  const ext = file.name.split(".").pop().toLowerCase();
  if (!["nfg", "efg", "json"].includes(ext)) throw new Error(`${file.name} is not a .nfg, .efg or .json file`);
  return {input: ext, text: await file.text()};
}

async function solve() {
  $("error").textContent = "";
  let data;
  try {
    const body = await request();
    body.method = $("method").value || null;
    body.all = $("all").checked;
    $("solve").disabled = true;
    data = await Lab.api("/api/solve", body);
  } catch (e) {
    $("error").textContent = e.message;
    $("result").hidden = true; $("picture-panel").hidden = true;
    return;
  } finally {
    $("solve").disabled = false;
  }
  show(data);
}

function mixture(probabilities, labels) {
  const parts = probabilities.map((p, a) => [p, labels[a]]).filter(([p]) => Math.abs(p) > 1e-12);
  if (parts.length === 1 && Math.abs(parts[0][0] - 1) < 1e-12) return `${Lab.esc(parts[0][1])} (pure)`;
  return parts.map(([p, l]) => `${Lab.esc(l)}: ${Lab.fmt(p)}`).join(", ");
}

function show(data) {
  $("result").hidden = false;
  const n = data.equilibria.length;
  const status = !data.converged ? `NOT CONVERGED: ${data.stopped_because}`
    : data.complete === true ? "complete: these are all the equilibria of the method's class"
    : data.complete === false ? "not proven complete" : "one equilibrium (the method finds one)";
  $("summary").innerHTML = `<p><b>${n} equilibri${n === 1 ? "um" : "a"}</b> of ${Lab.esc(data.game)} by <b>${data.method}</b>`
    + ` in ${Lab.fmt(data.seconds * 1000)} ms · ${Lab.esc(status)}`
    + (data.value !== undefined ? ` · value ${Array.isArray(data.value) ? data.value.map(Lab.fmt).join(", ") : Lab.fmt(data.value)}` : "")
    + `</p>`;
  const t = $("equilibria");
  const cert = data.certificate;
  if (data.kind === "normal_form") {
    t.innerHTML = "<tr><th>#</th>" + data.players.map((p) => `<th>${Lab.esc(p)}</th>`).join("")
      + `<th>payoffs</th><th>${cert === "max_regret" ? "max regret (certificate)" : cert}</th></tr>`;
    data.equilibria.forEach((e, k) => {
      const tr = document.createElement("tr");
      tr.className = "equilibrium";
      const cells = e.strategies ? e.strategies.map((s, i) => mixture(s, data.action_labels[i]))
        : [`joint distribution over ${e.shape.join("x")} profiles`];
      tr.innerHTML = `<td>${k + 1}</td>` + cells.map((c) => `<td>${c}</td>`).join("")
        + `<td>${e.payoffs.map(Lab.fmt).join(", ")}</td><td class="certificate">${Lab.fmt(e[cert])}</td>`;
      tr.dataset.strategies = JSON.stringify(e.strategies || null);
      tr.dataset.certificate = String(e[cert]);
      t.appendChild(tr);
    });
  } else {
    t.innerHTML = `<tr><th>#</th><th>behaviour at the information sets reached</th><th>payoffs</th><th>${cert}</th></tr>`;
    data.equilibria.forEach((e, k) => {
      const reached = Object.entries(e.behaviour).filter(([, b]) => b.reached).slice(0, 40);
      const text = reached.map(([name, b]) => `${Lab.esc(data.players[b.player] || b.player)} at ${Lab.esc(name)}: `
        + Object.entries(b.actions).filter(([, p]) => Math.abs(p) > 1e-12).map(([a, p]) => `${Lab.esc(a)} ${Lab.fmt(p)}`)
          .join(", "));
      const tr = document.createElement("tr");
      tr.className = "equilibrium";
      tr.innerHTML = `<td>${k + 1}</td><td>${text.join("<br>")}</td><td>${e.payoffs.map(Lab.fmt).join(", ")}</td>`
        + `<td class="certificate">${Lab.fmt(e[cert])}</td>`;
      tr.dataset.certificate = String(e[cert]);
      t.appendChild(tr);
    });
  }
  picture(data);
}

// -- the best-response picture ----------------------------------------------------------------------------------
function frame(svg, x0, y0, w, h, xlabel, ylabel, ylo, yhi, ticks) {
  Lab.svg("rect", {x: x0, y: y0, width: w, height: h, fill: "#fbfcfe", stroke: "#98a2b3"}, svg);
  Lab.text(svg, x0 + w / 2, y0 + h + 32, xlabel, {"text-anchor": "middle", "font-size": 13, fill: "#667085"});
  Lab.text(svg, 16, y0 + h / 2, ylabel, {"text-anchor": "middle", "font-size": 13, fill: "#667085",
                                         transform: `rotate(-90 16 ${y0 + h / 2})`});
  for (const t of [0, 0.5, 1]) {
    Lab.text(svg, x0 + t * w, y0 + h + 15, t, {"text-anchor": "middle", "font-size": 11, fill: "#667085"});
  }
  for (const v of ticks || [ylo, (ylo + yhi) / 2, yhi]) {
    Lab.text(svg, x0 - 6, y0 + (yhi - v) / (yhi - ylo) * h + 4, Lab.fmt(v), {"text-anchor": "end", "font-size": 11,
                                                                             fill: "#667085"});
  }
}

function picture(data) {
  const br = data.best_response;
  $("picture-panel").hidden = !br;
  if (!br) return;
  const L = br.lines, svg = $("lines");
  Lab.clear(svg);
  const mixer = data.players[L.mixer], responder = data.players[L.responder];
  const all = L.payoffs.flat();
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi === lo) { hi += 1; lo -= 1; }
  const ticks = [lo, (lo + hi) / 2, hi];
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const x0 = 62, y0 = 12, w = 420, h = 260;
  frame(svg, x0, y0, w, h, `P(${mixer} plays ${L.x_action})`, `${responder}'s payoff`, lo, hi, ticks);
  const X = (p) => x0 + p * w, Y = (v) => y0 + (hi - v) / (hi - lo) * h;
  L.actions.forEach((action, a) => {
    const colour = Lab.colours[a % Lab.colours.length];
    Lab.svg("polyline", {points: L.x.map((p, i) => `${X(p)},${Y(L.payoffs[i][a])}`).join(" "), fill: "none",
                         stroke: colour, "stroke-width": 1.5, "stroke-dasharray": "4 3"}, svg);
    // Solid where this action is a best response (the upper envelope).
    let run = [];
    const flush = () => {
      if (run.length > 1) Lab.svg("polyline", {points: run.join(" "), fill: "none", stroke: colour, "stroke-width": 4}, svg);
      run = [];
    };
    L.x.forEach((p, i) => { if (L.best[i].includes(a)) run.push(`${X(p)},${Y(L.payoffs[i][a])}`); else flush(); });
    flush();
    const end = L.payoffs[L.payoffs.length - 1][a];
    Lab.text(svg, X(1) + 5, Y(end) + 4, `${action}`, {"font-size": 12, fill: colour});
  });
  for (const e of br.equilibria) {
    Lab.svg("line", {x1: X(e[L.mixer]), x2: X(e[L.mixer]), y1: y0, y2: y0 + h, stroke: "#1d2330", "stroke-width": 1,
                     "stroke-dasharray": "2 3"}, svg);
  }
  const corr = $("correspondence");
  Lab.clear(corr);
  corr.style.display = br.correspondence ? "" : "none";
  $("picture-note").textContent = `Left: ${responder}'s payoff from each action as ${mixer} mixes; thick where the `
    + "action is a best response; dotted verticals: the equilibria."
    + (br.correspondence ? ` Right: the best-response correspondences; they cross at the equilibria (dots).` : "");
  if (br.correspondence) correspondence(corr, br, data);
}

function bestPath(sweep, vertical) {
  // The best-response set along the sweep as a path: action 0 is probability 1, action 1 probability 0, both a
  // segment across.
  const pts = [];
  let last = null;
  sweep.x.forEach((x, i) => {
    const ys = sweep.best[i].map((a) => (a === 0 ? 1 : 0));
    if (ys.length > 1) {
      const first = last === null ? 0 : last, other = 1 - first;
      pts.push([x, first], [x, other]);
      last = other;
    } else {
      pts.push([x, ys[0]]);
      last = ys[0];
    }
  });
  return vertical ? pts.map(([x, y]) => [y, x]) : pts;
}

function correspondence(svg, br, data) {
  const x0 = 62, y0 = 12, s = 260, labels = data.action_labels;
  frame(svg, x0, y0, s, s, `P(${data.players[0]} plays ${labels[0][0]})`, `P(${data.players[1]} plays ${labels[1][0]})`, 0, 1);
  const map = ([p, q]) => `${x0 + p * s},${y0 + (1 - q) * s}`;
  const c = br.correspondence;
  Lab.svg("polyline", {points: bestPath(c.player2, false).map(map).join(" "), fill: "none", stroke: Lab.colours[0],
                       "stroke-width": 3, "stroke-opacity": 0.8}, svg);
  Lab.svg("polyline", {points: bestPath(c.player1, true).map(map).join(" "), fill: "none", stroke: Lab.colours[1],
                       "stroke-width": 3, "stroke-opacity": 0.8}, svg);
  for (const e of br.equilibria) {
    const [x, y] = map([e[0], e[1]]).split(",").map(Number);
    Lab.svg("circle", {cx: x, cy: y, r: 6, fill: "#1d2330", class: "equilibrium-dot"}, svg);
  }
  Lab.text(svg, x0 + s + 8, y0 + 14, `${data.players[1]}'s best response`, {"font-size": 11, fill: Lab.colours[0]});
  Lab.text(svg, x0 + s + 8, y0 + 30, `${data.players[0]}'s best response`, {"font-size": 11, fill: Lab.colours[1]});
}

document.addEventListener("DOMContentLoaded", init);
