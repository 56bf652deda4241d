// The generate page: menus from the catalogue (/api/models, /api/samplers, /api/schedulers), a job through the
// queue (/api/jobs) with its progress, the images with their infotext; the browse page's recent jobs to re-run; the
// tabs (one page shown at a time, named by the URL's #hash). compare.js has the compare and score pages.
"use strict";
const $ = (id) => document.getElementById(id);
let samplers = [];
let models = [];
let running = null;

async function json(url, options) {
  const r = await fetch(url, options);
  const body = await r.json();
  if (!r.ok) {
    throw new Error((body.field ? body.field + ": " : "") + body.error);
  }
  return body;
}

function option(select, value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  select.appendChild(o);
}

function showFacts() {
  const s = samplers.find((x) => x.name === $("sampler").value);
  $("sampler-facts").textContent = s ? `order ${s.order}, ${s.calls} calls/step, ${s.kind}` : "";
  const m = models.find((x) => x.name === $("model").value);
  $("size").textContent = m ? `${m.width}x${m.height} images; prompt words: ${m.classes.join(", ")}` : "";
}

/** The sampler's facts as the menus show them: "order 2, 1/step, converging". */
function facts(s) {
  return `order ${s.order}, ${s.calls}/step, ${s.stochastic ? "stochastic" : "converging"}`;
}

let schedulers = [];
const catalogue = (async () => {
  models = await json("/api/models");
  samplers = await json("/api/samplers");
  schedulers = await json("/api/schedulers");
  return {models, samplers, schedulers};
})();

async function load() {
  await catalogue;
  models.forEach((m) => option($("model"), m.name, m.name));
  samplers.forEach((s) => option($("sampler"), s.name, `${s.name} (${facts(s)})`));
  schedulers.forEach((s) => option($("scheduler"), s.name, s.name));
  $("sampler").value = "dpmpp_2m";
  $("scheduler").value = "karras";
  showFacts();
  await refresh();
}

/** Shows the page the #hash names ("#score/ID" is the score page of run ID). */
function route() {
  const name = (location.hash.slice(1) || "generate").split("/")[0];
  document.querySelectorAll("section.page").forEach((s) => { s.hidden = s.id !== name; });
  document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("current", a.getAttribute("href") === "#" + name));
  document.dispatchEvent(new CustomEvent("page", {detail: location.hash.slice(1)}));
}
window.addEventListener("hashchange", route);

function settings() {
  return {
    model: $("model").value, prompt: $("prompt").value, negative: $("negative").value,
    sampler: $("sampler").value, scheduler: $("scheduler").value,
    steps: Number($("steps").value), cfg: Number($("cfg").value), seed: Number($("seed").value),
    batch: Number($("batch").value), scale: 1
  };
}

function status(text, error) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

/** The chosen init image as a data URL (the native API's init_image takes one), or null for txt2img. */
function initImage() {
  const file = $("init-image").files[0];
  if (!file) {
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error("init image: " + file.name + " cannot be read"));
    reader.readAsDataURL(file);
  });
}

async function generate(event) {
  event.preventDefault();
  $("images").innerHTML = "";
  $("progress").value = 0;
  let job;
  try {
    const body = settings();
    const init = await initImage();
    if (init) {
      Object.assign(body, {init_image: init, denoise: Number($("denoise").value), resize_mode: $("resize-mode").value});
    }
    job = await json("/api/jobs", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  } catch (e) {
    status(e.message, true);
    return;
  }
  running = job.id;
  $("go").disabled = true;
  $("cancel").disabled = false;
  status("queued");
  while (true) {
    job = await json("/api/jobs/" + running);
    if (job.state === "queued" && job.position !== undefined) {
      // The one queue holds compare runs too: say how much is ahead.
      status(`queued: ${job.position} ahead (see the Browse tab)`);
    }
    if (job.state === "running" && job.steps) {
      $("progress").max = job.steps;
      $("progress").value = job.step;
      status(`step ${job.step} of ${job.steps}`);
      if (job.preview) {
        $("preview").src = job.preview;
        $("preview").hidden = false;
      }
    }
    if (["done", "failed", "cancelled"].includes(job.state)) {
      break;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  running = null;
  $("preview").hidden = true;
  $("go").disabled = false;
  $("cancel").disabled = true;
  if (job.state !== "done") {
    status(job.state + (job.error ? ": " + job.error : ""), true);
  } else {
    $("progress").value = $("progress").max;
    status(`done: seed ${job.parameters.seed}`);
    job.images.forEach((src, i) => {
      const f = document.createElement("figure");
      const img = document.createElement("img");
      img.src = src;
      img.alt = "image " + (i + 1);
      const c = document.createElement("figcaption");
      c.textContent = job.infotexts[i];
      f.append(img, c);
      $("images").appendChild(f);
    });
  }
  await refresh();
}

function loadIntoForm(p) {
  ["model", "prompt", "negative", "sampler", "scheduler", "steps", "cfg", "seed", "batch"].forEach((k) => { $(k).value = p[k]; });
  showFacts();
}

function button(text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

/** The one queue: the running entry, then the waiting ones, each a generate job or a compare run. */
async function refreshQueue() {
  const q = await json("/api/queue");
  $("queue").innerHTML = "";
  q.entries.forEach((e) => {
    const li = document.createElement("li");
    li.className = e.kind;
    const a = document.createElement("a");
    a.href = e.kind === "compare" ? "#compare/" + e.id : e.link;
    a.textContent = e.id;
    li.append(`${e.state}, ${e.kind === "compare" ? "compare run" : "generate job"}: `, a);
    $("queue").appendChild(li);
  });
  if (!q.entries.length) {
    $("queue").textContent = "empty";
  }
}

async function refresh() {
  await refreshQueue();
  const body = $("jobs").querySelector("tbody");
  body.innerHTML = "";
  for (const j of await json("/api/jobs")) {
    const p = j.parameters;
    const tr = document.createElement("tr");
    [j.state, p.prompt, p.sampler + " / " + p.scheduler, p.steps, p.seed].forEach((v) => {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    });
    const td = document.createElement("td");
    j.images.forEach((src, i) => {
      const img = document.createElement("img");
      img.src = src;
      img.className = "thumb";
      img.title = j.infotexts[i];
      td.appendChild(img);
    });
    td.append(button("Load", () => { loadIntoForm(p); location.hash = "#generate"; }),
      button("Run again", () => { loadIntoForm(p); location.hash = "#generate"; $("go").click(); }));
    tr.appendChild(td);
    body.appendChild(tr);
  }
}

$("form").addEventListener("submit", generate);
$("cancel").addEventListener("click", () => running && fetch(`/api/jobs/${running}/cancel`, {method: "POST"}));
$("sampler").addEventListener("change", showFacts);
$("model").addEventListener("change", showFacts);
$("refresh").addEventListener("click", refresh);
load().catch((e) => status(e.message, true));
route();
