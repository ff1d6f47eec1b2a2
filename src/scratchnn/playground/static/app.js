// The scratchnn playground page. It only draws: the network trains in the server (the real
// ClassifierNN), and its frames arrive as Server-Sent Events. Plain JavaScript and canvas, so
// nothing is fetched from the network.
"use strict";

const COLORS = [[245, 147, 34], [8, 119, 189], [44, 160, 44], [214, 39, 40], [148, 103, 189]];
const $ = (id) => document.getElementById(id);
let options = null, session = null, state = null, events = null, frame = null;

// The token the server printed in this page's address (?token=...): every API request carries
// it, in a header where it can, in the address where it cannot (the event stream, downloads).
const TOKEN = new URLSearchParams(window.location.search).get("token") || "";
const withToken = (path) => `${path}?token=${encodeURIComponent(TOKEN)}`;

async function api(method, path, body) {
  const init = { method, headers: { Authorization: `token ${TOKEN}` } };
  if (method === "POST") {  // every POST is JSON (the server refuses other types), a CSV aside
    if (body === undefined) body = {};
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = typeof body === "string" ? "text/csv" : "application/json";
  }
  const response = await fetch(path, init);
  const payload = await response.json();
  if (!response.ok) throw new Error(payload.error || response.statusText);
  return payload;
}

function showError(error) { $("message").textContent = error ? String(error.message || error) : ""; }

// Requests run one after another, in the order of the clicks and changes that made them: a
// Step pressed right after a change of settings must reach the new network, not the old one.
let queue = Promise.resolve();

function guarded(action) {
  const run = async () => {
    try { showError(null); return await action(); } catch (error) { showError(error); }
  };
  queue = queue.then(run);
  return queue;
}

// ------------------------------------------------------------------ settings controls
function fillSelect(select, names) {
  select.innerHTML = "";
  for (const name of names) {
    const option = document.createElement("option");
    option.value = option.textContent = name;
    select.appendChild(option);
  }
}

function setupControls() {
  const lim = options.limits;
  fillSelect($("dataset"), options.datasets);
  fillSelect($("initialization"), options.initializers);
  fillSelect($("optimizer"), options.optimizers);
  fillSelect($("schedule"), ["none", ...options.schedules]);
  $("schedule-row").hidden = options.schedules.length === 0;
  $("classes").max = lim.max_classes;
  $("n_points").min = lim.min_points; $("n_points").max = lim.max_points;
  $("epochs").max = lim.max_epochs;
  for (const id of ["dataset", "classes", "n_points", "noise", "test_fraction", "seed",
                    "batch_norm", "keep_prob", "initialization", "optimizer", "learning_rate",
                    "schedule", "batch_size", "l2", "l1", "epochs", "discretize", "show_test"]) {
    $(id).addEventListener("change", () => sendConfig());
  }
  setupFeatures($("features"), options.features);  // state.js
  $("features").addEventListener("change", () => sendConfig());
  for (const id of ["noise", "test_fraction", "keep_prob"]) {
    $(id).addEventListener("input", () => { $(id + "-out").textContent = $(id).value; });
  }
  $("add-layer").addEventListener("click", () => {
    const hidden = readHidden();
    if (hidden.length >= lim.max_hidden_layers) {
      showError(`at most ${lim.max_hidden_layers} hidden layers`); return;
    }
    hidden.push({ units: 4, activation: hidden.length ? hidden[hidden.length - 1].activation : "tanh" });
    sendConfig({ hidden });
  });
  $("csv").addEventListener("change", async () => {
    const file = $("csv").files[0];
    if (!file) return;
    if (file.size > lim.max_upload_bytes) { showError(`the CSV is larger than ${lim.max_upload_bytes} bytes`); return; }
    const text = await file.text();
    await guarded(async () => applyState(await api("POST", `/api/sessions/${session}/upload`, text)));
  });
  $("train").addEventListener("click", () => control("play"));
  $("pause").addEventListener("click", () => control("pause"));
  $("step").addEventListener("click", () => control("step"));
  // Keep training: as many epochs again (up to the limit), from where training ended.
  $("keep").addEventListener("click", async () => {
    const epochs = Math.min(lim.max_epochs, state.config.epochs + Number($("epochs").value));
    await sendConfig({ epochs });
    await control("play");
  });
  $("reset").addEventListener("click", () => guarded(async () =>
    applyState(await api("POST", `/api/sessions/${session}/reset`))));
  $("loss-log").addEventListener("change", () => { if (frame) drawCharts(); });
  Diagram.setup((weight) => guarded(async () =>
    drawFrame(await api("POST", `/api/sessions/${session}/weight`, weight))));
}

function renderLayers(hidden) {
  const box = $("layers");
  box.innerHTML = "";
  hidden.forEach((layer, i) => {
    const row = document.createElement("div");
    row.className = "layer";
    row.innerHTML = `layer ${i + 1}: <input type="number" class="units" min="1" max="${options.limits.max_units}" value="${layer.units}" aria-label="units of layer ${i + 1}"> units <select class="activation" aria-label="activation of layer ${i + 1}"></select> <button type="button" class="remove" aria-label="remove layer ${i + 1}">&minus;</button>`;
    const select = row.querySelector(".activation");
    fillSelect(select, options.activations);
    select.value = layer.activation;
    // A field redrawn away while it had the focus fires one last change: not the learner's.
    const changed = () => { if (row.isConnected) sendConfig(); };
    row.querySelector(".units").addEventListener("change", changed);
    select.addEventListener("change", changed);
    row.querySelector(".remove").addEventListener("click", () => {
      const hidden = readHidden(); hidden.splice(i, 1); sendConfig({ hidden });
    });
    box.appendChild(row);
  });
}

function readHidden() {
  return [...$("layers").querySelectorAll(".layer")].map((row) => ({
    units: Number(row.querySelector(".units").value),
    activation: row.querySelector(".activation").value,
  }));
}

function readConfig() {
  const number = (id) => Number($(id).value);
  return {
    dataset: $("dataset").value, classes: number("classes"), n_points: number("n_points"),
    noise: number("noise"), test_fraction: number("test_fraction"), seed: number("seed"),
    hidden: readHidden(), batch_norm: $("batch_norm").checked, keep_prob: number("keep_prob"),
    initialization: $("initialization").value, optimizer: $("optimizer").value,
    learning_rate: number("learning_rate"),
    schedule: $("schedule").value === "none" ? null : $("schedule").value,
    batch_size: number("batch_size"), l2: number("l2"), epochs: number("epochs"),
    ...readExtras(),  // state.js
  };
}

function writeConfig(config) {
  for (const [key, value] of Object.entries(config)) {
    const element = $(key);
    if (!element || key === "hidden" || key === "features") continue;
    if (element.type === "checkbox") element.checked = value;
    else element.value = value === null ? "none" : value;
    const out = $(key + "-out");
    if (out) out.textContent = value;
  }
  $("classes-row").hidden = !["spiral", "blobs"].includes(config.dataset);
  writeFeatures(config.features);  // state.js
  renderLayers(config.hidden);
}

async function sendConfig(changes) {
  const config = Object.assign(readConfig(), changes || {});
  if (config.dataset === "csv" && state && state.config.dataset !== "csv") {
    showError("choose a CSV file to upload for the csv data set"); writeConfig(state.config); return;
  }
  const same = (key) => JSON.stringify(config[key]) === JSON.stringify(state.config[key]);
  if (state && Object.keys(config).every(same)) return;  // nothing changed: no reset
  await guarded(async () => {
    try {
      applyState(await api("POST", `/api/sessions/${session}/config`, config));
    } catch (error) {
      writeConfig(state.config);  // a refused setting never stays: the form shows what runs
      throw error;
    }
  });
}

async function control(action) {
  // The status shown comes from the frames alone: a reply can arrive after the frame that
  // already reports the pause, and must not overwrite it.
  await guarded(() => api("POST", `/api/sessions/${session}/${action}`));
}

function setStatus(status) {
  $("status").textContent = status;
  $("keep").hidden = status !== "finished";
}

// ------------------------------------------------------------------ state and frames
function applyState(newState) {
  state = newState;
  writeConfig(state.config);
  configToAddress(state.config, TOKEN);  // state.js
  showLearn();
  drawFrame(state.frame);
}

function drawFrame(newFrame) {
  frame = newFrame;
  setStatus(frame.error ? `error: ${frame.error}` : frame.status);
  $("epoch").textContent = `epoch ${frame.epoch}`;
  $("test-accuracy").textContent = `test accuracy ${frame.metrics.test_accuracy.toFixed(3)}`;
  $("train-accuracy").textContent = `train accuracy ${frame.metrics.train_accuracy.toFixed(3)}`;
  drawBoundary();
  drawUnits();
  Diagram.draw(state, frame);
  drawCharts();
  drawDiagnostics(frame.diagnostics, frame.logs || {});
}

// The pictures arrive as base64 text of bytes, one per pixel (see session.py's _base64_bytes).
function bytes(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }

function mix(color, alpha) {
  return color.map((c) => Math.round(255 + (c - 255) * alpha));
}

// The boundary's plot area inside its canvas, [x, y, width, height]: room for the ticks of x1
// below and x2 on the left. The canvas says where it is (data-plot), for whoever reads it.
function boundaryArea() {
  const canvas = $("boundary");
  return [36, 4, canvas.width - 40, canvas.height - 40];
}

function drawBoundary() {
  const canvas = $("boundary"), ctx = canvas.getContext("2d");
  const n = frame.boundary.size, K = state.n_classes;
  const small = document.createElement("canvas");
  small.width = small.height = n;
  const sctx = small.getContext("2d"), image = sctx.createImageData(n, n);
  const classes = bytes(frame.boundary.classes), confidences = bytes(frame.boundary.confidence);
  for (let i = 0; i < n * n; i++) {
    const confidence = confidences[i] / 255;  // sent as 0 .. 255
    const alpha = state.config.discretize ? 0.75  // plain class colours
      : Math.max(0, (confidence - 1 / K) / (1 - 1 / K)) * 0.75;
    const rgb = mix(COLORS[classes[i]], alpha);
    image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  sctx.putImageData(image, 0, 0);
  const [ax, ay, aw, ah] = boundaryArea();
  canvas.dataset.plot = [ax, ay, aw, ah].join(",");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, ax, ay, aw, ah);
  const [x0, x1, y0, y1] = state.extent;
  Charts.axes(ctx, { x: ax, y: ay, w: aw, h: ah }, [x0, x1], [y0, y1],
              { xLabel: "", yLabel: "", xTicks: 6, yTicks: 6, noGrid: true });
  ctx.save();
  ctx.font = "11px sans-serif"; ctx.fillStyle = "#333";
  ctx.fillText("x1", ax + aw - 12, ay + ah + 26);
  ctx.save();
  ctx.translate(9, ay + ah / 2); ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center"; ctx.fillText("x2", 0, 0);
  ctx.restore();
  ctx.beginPath(); ctx.rect(ax, ay, aw, ah); ctx.clip();
  const px = (x) => ax + (x - x0) / (x1 - x0) * aw;
  const py = (y) => ay + (y1 - y) / (y1 - y0) * ah;
  for (const [part, ring] of [["train", "white"], ["test", "black"]]) {
    if (part === "test" && !state.config.show_test) continue;
    const points = state[part];
    ctx.lineWidth = part === "test" ? 1.5 : 1;
    points.X.forEach(([x, y], i) => {
      ctx.beginPath();
      ctx.arc(px(x), py(y), 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${COLORS[points.y[i]].join(",")})`;
      ctx.fill();
      ctx.strokeStyle = ring;
      ctx.stroke();
    });
  }
  ctx.restore();
}

function drawUnits() {
  // One row per hidden layer, labelled; each layer on one colour scale (the page says which).
  const box = $("units");
  const n = frame.units.size;
  const layers = frame.units.layers.map((text) => {
    const all = bytes(text), units = [];
    for (let u = 0; u < all.length / (n * n); u++) units.push(all.subarray(u * n * n, (u + 1) * n * n));
    return units;
  });
  const counts = layers.map((units) => units.length).join(",");
  if (box.dataset.counts !== counts) {
    box.innerHTML = "";
    layers.forEach((units, l) => {
      const row = document.createElement("div");
      row.className = "unit-layer";
      const name = document.createElement("div");
      name.className = "unit-layer-name";
      row.appendChild(name);
      const pictures = document.createElement("div");
      pictures.className = "unit-pictures";
      units.forEach((_, u) => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = n;
        canvas.title = `layer ${l + 1}, unit ${u + 1}`;
        pictures.appendChild(canvas);
      });
      row.appendChild(pictures);
      box.appendChild(row);
    });
    box.dataset.counts = counts;
  }
  const scales = frame.units.scales || [];
  box.querySelectorAll(".unit-layer").forEach((row, l) => {
    const activation = state.config.hidden[l] ? state.config.hidden[l].activation : "";
    const scale = scales[l] === null || scales[l] === undefined ? "\u2013" : scales[l].toPrecision(3);
    row.querySelector(".unit-layer-name").textContent = `layer ${l + 1} (${activation}), full colour = \u00b1${scale}`;
    row.querySelectorAll("canvas").forEach((canvas, u) => {
      const ctx = canvas.getContext("2d"), image = ctx.createImageData(n, n);
      const values = layers[l][u];
      for (let i = 0; i < n * n; i++) {
        const v = (values[i] - 127) / 127;  // sent as 0 .. 254
        const rgb = mix(v >= 0 ? COLORS[1] : COLORS[0], Math.min(1, Math.abs(v)));
        image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
      }
      ctx.putImageData(image, 0, 0);
    });
  });
}

function drawCharts() {
  const h = frame.history, colors = ["rgb(8,119,189)", "rgb(245,147,34)"];
  const log = $("loss-log").checked;
  Charts.lines($("loss-chart"), h.epoch, [h.train_loss, h.test_loss], colors,
               { log, yLabel: log ? "loss (log)" : "loss" });
  Charts.lines($("accuracy-chart"), h.epoch, [h.train_accuracy, h.test_accuracy], colors,
               { range: [0, 1], yLabel: "accuracy" });
}

function drawDiagnostics(diagnostics, logs) {
  // The Diagnostics callback's last epoch, one column per layer; a dead or saturated share of
  // half a layer or more, and each problem it reports, in red. Other history values below.
  const entries = Object.entries(logs);
  $("diagnostics-box").hidden = !diagnostics && entries.length === 0;
  const table = $("diagnostics");
  table.innerHTML = "";
  const format = (v) => (v === null ? "\u2013" : typeof v === "number" ? v.toPrecision(3) : JSON.stringify(v));
  if (diagnostics) {
    const head = table.insertRow();
    head.insertCell();
    for (const name of diagnostics.layers) head.insertCell().textContent = name;
    for (const [name, values] of Object.entries(diagnostics.values)) {
      const row = table.insertRow();
      row.insertCell().textContent = name;
      for (const v of values) {
        const cell = row.insertCell();
        cell.textContent = format(v);
        if (/dead|saturated/.test(name) && v !== null && v >= 0.5) cell.className = "flag";
      }
    }
    for (const problem of diagnostics.problems) {
      const row = table.insertRow();
      row.className = "flag";
      const cell = row.insertCell();
      cell.colSpan = diagnostics.layers.length + 1;
      cell.textContent = problem;
    }
  }
  for (const [key, value] of entries) {
    const row = table.insertRow();
    row.insertCell().textContent = key;
    row.insertCell().textContent = format(value);
  }
}

function showLearn() { renderLesson($("learn"), state.lesson); }  // learn.js

// ------------------------------------------------------------------ start
async function start() {
  options = await api("GET", "/api/options");
  setupControls();
  // The settings of the address, if any (a shared link); settings it no longer accepts give
  // the defaults, with the reason shown.
  let created;
  try {
    created = await api("POST", "/api/sessions", configFromAddress() || {});
  } catch (error) {
    if (!configFromAddress()) throw error;
    created = await api("POST", "/api/sessions", {});
    showError(`the address's settings were refused (${error.message}); the defaults are shown`);
  }
  session = created.id;
  $("download-code").href = withToken(`/api/sessions/${session}/code`);
  $("download-model").href = withToken(`/api/sessions/${session}/model`);
  applyState(created);
  events = new EventSource(withToken(`/api/sessions/${session}/events`));
  events.onerror = () => {
    // The stream reconnects by itself; a session the server ended (its page stopped listening
    // too long, say through a sleeping laptop) answers 404 and the stream stays closed.
    if (events.readyState === EventSource.CLOSED) {
      showError("this page's session ended (the page stopped listening, or the server restarted); reload the page");
    }
  };
  events.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.version < state.version) return;  // a frame of settings already replaced
    drawFrame(data);
  };
  window.addEventListener("pagehide", () => {
    events.close();
    fetch(`/api/sessions/${session}`,
          { method: "DELETE", keepalive: true, headers: { Authorization: `token ${TOKEN}` } });
  });
}

start().catch(showError);
