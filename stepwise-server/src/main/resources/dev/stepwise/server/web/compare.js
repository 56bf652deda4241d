// The compare page (a plan from the catalogue's menus, POST /api/compare, its cells as they come through the run's
// server-sent events, then the report's ranking, X/Y grids and plots), the score page (the run's scorable images one
// at a time with the prompt's checklist, each score saved as it is given, then a rerun that puts them in the report)
// and the browse page's compare runs. Uses $, json, option, facts, button and catalogue from app.js.
"use strict";
let comparing = null;
let events = null;

function checkboxes(box, name, items, checked, title) {
  box.innerHTML = "";
  items.forEach((it) => {
    const l = document.createElement("label");
    const c = document.createElement("input");
    c.type = "checkbox";
    c.name = name;
    c.value = it.name;
    c.checked = checked.includes(it.name);
    l.append(c, " " + it.name);
    l.title = title(it);
    box.appendChild(l);
  });
}

function checked(name) {
  return [...document.querySelectorAll(`input[name=${name}]:checked`)].map((c) => c.value);
}

function numbers(text) {
  return text.split(",").map((t) => t.trim()).filter((t) => t).map(Number);
}

function lines(text) {
  return text.split("\n").map((t) => t.trim()).filter((t) => t);
}

async function loadCompare() {
  await catalogue;
  models.forEach((m) => option($("c-model"), m.name, m.name));
  option($("c-model"), "gmm:builtin", "gmm:builtin (exact mixture)");
  checkboxes($("c-samplers"), "c-sampler", samplers, ["euler", "dpmpp_2m"], facts);
  checkboxes($("c-schedulers"), "c-scheduler", schedulers, ["karras"], (s) => s.description);
  await refreshRuns();
}

/** The generate form's settings as a plan of one configuration (the "send to compare" button). */
function sendToCompare() {
  $("c-model").value = $("model").value;
  document.querySelectorAll("input[name=c-sampler]").forEach((c) => { c.checked = c.value === $("sampler").value; });
  document.querySelectorAll("input[name=c-scheduler]").forEach((c) => { c.checked = c.value === $("scheduler").value; });
  $("c-steps").value = $("steps").value;
  $("c-cfg").value = $("cfg").value;
  const seed = Number($("seed").value);
  $("c-seeds").value = seed >= 0 ? String(seed) : "1-4";
  $("c-prompts").value = $("prompt").value;
  location.hash = "#compare";
}

function plan() {
  const prompts = lines($("c-prompts").value);
  const negative = $("negative").value;
  const p = {
    name: $("c-name").value || "comparison", model: $("c-model").value,
    samplers: checked("c-sampler"), schedulers: checked("c-scheduler"), steps: numbers($("c-steps").value),
    cfg: numbers($("c-cfg").value), prompts: prompts.length ? prompts : [""], seeds: $("c-seeds").value,
    reference: false
  };
  const request = {plan: p};
  const criteria = lines($("c-criteria").value);
  if (criteria.length) {
    request.checklist = {prompts: [...new Set(p.prompts)].map((t) => ({prompt: t, criteria}))};
  }
  return request;
}

function cStatus(text, error) {
  $("c-status").textContent = text;
  $("c-status").className = error ? "error" : "";
}

async function startCompare(event) {
  event.preventDefault();
  let run;
  try {
    run = await json("/api/compare", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(plan())});
  } catch (e) {
    cStatus(e.message, true);
    return;
  }
  location.hash = "#compare/" + run.id;
}

/** Follows run `id`: its cells as they finish, then its report. */
function watch(id) {
  if (events) {
    events.close();
  }
  comparing = id;
  $("c-cells").innerHTML = "";
  $("c-results").hidden = true;
  $("c-progress").value = 0;
  $("c-start").disabled = true;
  $("c-cancel").disabled = false;
  events = new EventSource(`/api/compare/${id}/events`);
  events.addEventListener("state", (e) => {
    const run = JSON.parse(e.data);
    progress(run.done, run.total);
    cStatus(`${run.name}: ${run.state}` + (run.position !== undefined ? `, ${run.position} ahead in the queue` : "")
      + (run.error ? ": " + run.error : "") + (run.total ? ` (${run.done} of ${run.total} cells)` : ""),
      run.state === "failed");
    if (["done", "failed", "cancelled"].includes(run.state)) {
      events.close();
      events = null;
      $("c-start").disabled = false;
      $("c-cancel").disabled = true;
      showRun(id);
      refreshRuns();
    }
  });
  events.addEventListener("cell", (e) => {
    const n = JSON.parse(e.data);
    progress(n.done, n.total);
    cStatus(`${n.done} of ${n.total} cells`);
    $("c-cells").appendChild(cellFigure(n.cell));
  });
}

function progress(done, total) {
  $("c-progress").max = Math.max(total, 1);
  $("c-progress").value = done;
}

function cellFigure(c) {
  const f = document.createElement("figure");
  f.className = "cell";
  if (c.image) {
    const img = document.createElement("img");
    img.src = c.image;
    img.alt = c.id;
    f.appendChild(img);
  }
  const cap = document.createElement("figcaption");
  cap.textContent = `${c.sampler} ${c.scheduler} ${c.steps} steps, seed ${c.seed}` + (c.error ? ": " + c.error : "");
  f.appendChild(cap);
  return f;
}

function cells(tr, values) {
  values.forEach((v) => {
    const td = document.createElement("td");
    td.textContent = v === null || v === undefined ? "–" : v;
    tr.appendChild(td);
  });
}

/** "average score 1.50 out of 2", as the report writes it (harness Format.averageScore). */
function humanScore(r) {
  if (!r.human_images) {
    return null;
  }
  const possible = r.human_possible / r.human_images;
  const shown = Number.isInteger(possible) ? String(possible) : possible.toFixed(2);
  return `average score ${(r.human_total / r.human_images).toFixed(2)} out of ${shown}`;
}

async function showRun(id) {
  const run = await json(`/api/compare/${id}`);
  const cellsBox = $("c-cells");
  if (!cellsBox.children.length) {
    run.files.filter((f) => f.startsWith("images/")).forEach((f) => {
      const img = document.createElement("img");
      img.src = `/api/compare/${id}/files/${f}`;
      img.className = "thumb";
      cellsBox.appendChild(img);
    });
  }
  if (!run.summary) {
    return;
  }
  $("c-results").hidden = false;
  const body = $("c-ranking").querySelector("tbody");
  body.innerHTML = "";
  run.summary.rows.forEach((r) => {
    const tr = document.createElement("tr");
    cells(tr, [r.rank, r.sampler, r.scheduler, r.steps, r.cfg, r.time_mean === null ? null : r.time_mean.toFixed(3),
      r.adherence === null ? null : (100 * r.adherence).toFixed(0) + "%", humanScore(r)]);
    body.appendChild(tr);
  });
  $("c-report").href = run.links.report;
  $("c-score").hidden = !run.request.checklist;
  for (const [box, dir] of [["c-grids", "grids/"], ["c-plots", "plots/"]]) {
    $(box).innerHTML = "";
    run.files.filter((f) => f.startsWith(dir) && f.endsWith(".png")).forEach((f) => {
      const a = document.createElement("a");
      a.href = `/api/compare/${id}/files/${f}`;
      a.target = "_blank";
      const img = document.createElement("img");
      img.src = a.href;
      img.alt = f;
      a.appendChild(img);
      $(box).appendChild(a);
    });
  }
}

async function refreshRuns() {
  const body = $("runs").querySelector("tbody");
  body.innerHTML = "";
  for (const r of await json("/api/compare")) {
    const tr = document.createElement("tr");
    cells(tr, [r.state, r.name, `${r.done} of ${r.total}`, r.started ? r.started.slice(0, 19).replace("T", " ") : ""]);
    const td = document.createElement("td");
    td.append(button("Open", () => { location.hash = "#compare/" + r.id; }));
    if (r.request.checklist) {
      td.append(button("Score", () => { location.hash = "#score/" + r.id; }));
    }
    td.append(button("Run again", async () => {
      await json(r.links.self + "/rerun", {method: "POST"});
      location.hash = "#compare/" + r.id;
    }));
    tr.appendChild(td);
    body.appendChild(tr);
  }
}

// ------------------------------------------------------------------------------------------------ score

const scoring = {run: null, images: [], at: 0, criterion: 0};

function sStatus(text, error) {
  $("s-status").textContent = text;
  $("s-status").className = error ? "error" : "";
}

async function loadScores(id) {
  scoring.run = id;
  const sheet = await json(`/api/compare/${id}/scores`);
  scoring.images = sheet.images;
  scoring.at = Math.min(scoring.at, Math.max(sheet.images.length - 1, 0));
  scoring.criterion = 0;
  $("s-summary").textContent = "";
  showImage();
}

function showImage() {
  const img = scoring.images[scoring.at];
  if (!img) {
    $("s-position").textContent = "no image to score";
    return;
  }
  const scored = scoring.images.filter((i) => i.criteria.every((c) => c in i.scores)).length;
  $("s-position").textContent = `image ${scoring.at + 1} of ${scoring.images.length} (${scored} scored)`;
  $("s-image").src = img.image;
  $("s-meta").textContent = `${img.prompt} · ${img.sampler} ${img.scheduler} · ${img.steps} steps · cfg ${img.cfg} · seed ${img.seed}`;
  const list = $("s-criteria");
  list.innerHTML = "";
  img.criteria.forEach((c, k) => {
    const li = document.createElement("li");
    li.dataset.criterion = c;
    li.className = (k === scoring.criterion ? "current " : "") + (c in img.scores ? (img.scores[c] ? "yes" : "no") : "");
    li.textContent = `${c}: ${c in img.scores ? (img.scores[c] ? "1 acceptable" : "0 flawed") : "not scored"}`;
    li.addEventListener("click", () => { scoring.criterion = k; showImage(); });
    list.appendChild(li);
  });
}

async function give(value) {
  const img = scoring.images[scoring.at];
  const c = img.criteria[scoring.criterion];
  try {
    const saved = await json(`/api/compare/${scoring.run}/scores`, {method: "POST",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify({cell: img.id, scores: {[c]: value}})});
    img.scores = saved.scores;
    sStatus(`saved: ${c} = ${value}`);
  } catch (e) {
    sStatus(e.message, true);
    return;
  }
  if (scoring.criterion < img.criteria.length - 1) {
    scoring.criterion++;
  } else if (scoring.at < scoring.images.length - 1) {
    scoring.at++;
    scoring.criterion = 0;
  }
  showImage();
}

function move(by) {
  scoring.at = Math.max(0, Math.min(scoring.images.length - 1, scoring.at + by));
  scoring.criterion = 0;
  showImage();
}

let keyChain = Promise.resolve();
document.addEventListener("keydown", (e) => {
  if ($("score").hidden || !scoring.images.length || e.target.matches("input, textarea, select")) {
    return;
  }
  const n = scoring.images[scoring.at].criteria.length;
  const keys = {
    "1": () => give(1), "0": () => give(0), ArrowRight: () => move(1), ArrowLeft: () => move(-1),
    ArrowDown: () => { scoring.criterion = Math.min(n - 1, scoring.criterion + 1); showImage(); },
    ArrowUp: () => { scoring.criterion = Math.max(0, scoring.criterion - 1); showImage(); }
  };
  if (keys[e.key]) {
    e.preventDefault();
    // One key after another: a score is saved (and the cursor moved) before the next key acts.
    keyChain = keyChain.then(keys[e.key]).catch((err) => sStatus(err.message, true));
  }
});

/** Reruns the run into its folder (every cell is kept) so that the report reads the scores. */
async function rebuild() {
  const id = scoring.run;
  await json(`/api/compare/${id}/rerun`, {method: "POST"});
  sStatus("rebuilding the report…");
  const stream = new EventSource(`/api/compare/${id}/events`);
  stream.addEventListener("state", async (e) => {
    const run = JSON.parse(e.data);
    if (!["done", "failed", "cancelled"].includes(run.state)) {
      return;
    }
    stream.close();
    if (run.state !== "done") {
      sStatus(run.state + (run.error ? ": " + run.error : ""), true);
      return;
    }
    const full = await json(`/api/compare/${id}`);
    $("s-summary").innerHTML = "";
    full.summary.rows.forEach((r) => {
      const line = document.createElement("div");
      line.textContent = `${r.sampler} ${r.scheduler} ${r.steps} steps: ${humanScore(r) || "not fully scored"}`;
      $("s-summary").appendChild(line);
    });
    const a = document.createElement("a");
    a.id = "s-report";
    a.href = full.links.report;
    a.target = "_blank";
    a.textContent = "The report";
    $("s-summary").appendChild(a);
    sStatus("the report has the scores");
  });
}

document.addEventListener("page", (e) => {
  const [page, id] = e.detail.split("/");
  if (page === "compare" && id && id !== comparing) {
    watch(id);
  } else if (page === "score" && id) {
    loadScores(id).catch((err) => sStatus(err.message, true));
  } else if (page === "browse") {
    refreshRuns();
    refresh();
  }
});
$("c-form").addEventListener("submit", startCompare);
$("c-cancel").addEventListener("click", () => comparing && fetch(`/api/compare/${comparing}/cancel`, {method: "POST"}));
$("c-score").addEventListener("click", () => { location.hash = "#score/" + comparing; });
$("s-rebuild").addEventListener("click", () => rebuild().catch((err) => sStatus(err.message, true)));
$("to-compare").addEventListener("click", sendToCompare);
loadCompare().then(() => route()).catch((err) => cStatus(err.message, true));
