// The reports page: lists GET /api/reports and shows the folder's index.html (served read-only under /reports/).
"use strict";

const $ = (id) => document.getElementById(id);

async function init() {
  let data;
  try { data = await Lab.api("/api/reports"); } catch (e) { $("error").textContent = e.message; return; }
  if (!data.exists) {
    $("folder").textContent = data.folder === null ? "No reports folder was given."
      : `The folder ${data.folder} does not exist yet: run \`equilibria reproduce --quick --out ${data.folder}\` to write one.`;
    return;
  }
  $("folder").textContent = `Folder ${data.folder}: ${data.experiments.length} experiment(s), ${data.files.length}`
    + ` file(s)${data.truncated ? " (list cut)" : ""}.`;
  const t = $("experiments");
  t.innerHTML = "<tr><th>experiment</th><th>title</th><th>checks</th><th>run</th></tr>";
  for (const e of data.experiments) {
    const tr = document.createElement("tr");
    tr.className = "experiment";
    const verdict = e.passed === true ? '<span class="pass">passed</span>'
      : e.passed === false ? '<span class="fail">failed</span>' : '<span class="muted">—</span>';
    const run = (e.complete === false ? "stopped early" : "complete") + (e.quick ? ", quick" : "");
    tr.innerHTML = `<td><a href="/reports/index.html#${encodeURIComponent(e.name)}" target="report">${Lab.esc(e.name)}</a></td>`
      + `<td>${Lab.esc(e.title)}</td><td>${verdict}</td><td>${run}</td>`;
    t.appendChild(tr);
  }
  for (const f of data.files) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "/reports/" + f.split("/").map(encodeURIComponent).join("/");
    a.textContent = f; a.target = "_blank";
    li.appendChild(a);
    $("files").appendChild(li);
  }
  if (data.index) {
    $("report-panel").hidden = false;
    $("report").name = "report";
    $("report").src = "/reports/index.html";
  }
}

document.addEventListener("DOMContentLoaded", init);
