// The web lab's shared helpers: calling the API, building SVG, formatting numbers. Plain JavaScript, no build step.
"use strict";

const Lab = {
  // POST (body given) or GET the API; resolves to the JSON document, rejects with the API's one-line error.
  async api(path, body) {
    const options = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"},
                                               body: JSON.stringify(body)};
    let response;
    try {
      response = await fetch(path, options);
    } catch (e) {
      throw new Error("the lab server does not answer (is `equilibria lab` still running?)");
    }
    let document = null;
    try { document = await response.json(); } catch (e) { /* not JSON: reported below */ }
    if (!response.ok) {
      throw new Error(document && document.error ? document.error : `the server answered ${response.status}`);
    }
    return document;
  },

  svg(tag, attrs, parent) {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    if (parent) parent.appendChild(el);
    return el;
  },

  text(parent, x, y, content, attrs) {
    const t = Lab.svg("text", Object.assign({x, y}, attrs || {}), parent);
    t.textContent = content;
    return t;
  },

  // A number for people: integers as such, others with 4 significant digits; "inf" strings as infinity signs.
  fmt(x) {
    if (x === null || x === undefined) return "—";
    if (x === "inf") return "+∞";
    if (x === "-inf") return "−∞";
    if (typeof x !== "number") return String(x);
    if (Number.isInteger(x)) return String(x);
    const a = Math.abs(x);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
    return String(+x.toPrecision(4));
  },

  // Text for innerHTML: labels come from uploaded files and report folders, never trusted as markup.
  esc(x) {
    return String(x).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
  },

  clear(el) { while (el.firstChild) el.removeChild(el.firstChild); },

  colours: ["#2857c5", "#c2410c", "#15803d", "#7c3aed", "#b42318", "#0e7490"],

  // Marks the current page in the header.
  nav() {
    for (const a of document.querySelectorAll("header nav a")) {
      if (a.getAttribute("href") === location.pathname) a.classList.add("active");
    }
  },
};

document.addEventListener("DOMContentLoaded", Lab.nav);
