// The page around gan-gpu's wasm build (pkg/, made by wasm-bindgen): it
// fetches the shipped data, starts and pauses runs, and draws the grid and
// the loss chart. Every GPU call is the library's own, through `App`.
import init, { App } from "./pkg/gan_gpu_web.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const DATA = "data/train-images-idx3-ubyte.gz";

// What the page is doing, for people and for tests/web/page_test.py.
const status = { ready: false, running: false, step: 0, grids: 0, imagesPerSec: 0, error: null, history: [] };
window.gan = { status };

function problem(message) {
  status.error = String(message);
  const box = $("problem");
  box.textContent = status.error;
  box.style.display = "block";
}

function clearProblem() {
  status.error = null;
  $("problem").style.display = "none";
}

// A rejected call from wasm carries a JsError; show its message.
const text = (e) => (e && e.message) || String(e);

let app = null;
// The training loop's promise while it runs: calls that need the device
// (save, load, a new run) stop the loop and wait for it first.
let loop = null;

async function stopLoop() {
  status.running = false;
  if (loop) await loop;
  loop = null;
}

function runLoop() {
  status.running = true;
  $("pause").textContent = "Pause";
  loop = trainLoop();
}

async function drawGrid() {
  const g = await app.grid();
  const canvas = $("grid");
  canvas.width = g.width;
  canvas.height = g.height;
  canvas.getContext("2d").putImageData(new ImageData(g.rgba, g.width, g.height), 0, 0);
  status.grids += 1;
}

function drawChart() {
  const canvas = $("chart");
  const ctx = canvas.getContext("2d");
  const [w, h, pad] = [canvas.width, canvas.height, 30];
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, w, h);
  const rows = status.history;
  if (rows.length === 0) return;
  const top = Math.max(1, ...rows.map((r) => Math.max(r.d_loss, r.g_loss)));
  const last = rows[rows.length - 1].step;
  const first = rows[0].step;
  const x = (step) => pad + ((w - 2 * pad) * (step - first)) / Math.max(1, last - first);
  const y = (v) => h - pad - ((h - 2 * pad) * v) / top;
  ctx.strokeStyle = "#999";
  ctx.strokeRect(pad, pad, w - 2 * pad, h - 2 * pad);
  ctx.fillStyle = "#333";
  ctx.font = "11px sans-serif";
  ctx.fillText(top.toFixed(2), 2, pad + 4);
  ctx.fillText("0", 18, h - pad);
  ctx.fillText(`step ${first}`, pad, h - 10);
  ctx.fillText(`step ${last}`, w - pad - 50, h - 10);
  const series = [
    ["D loss", "#c0392b", (r) => r.d_loss],
    ["G loss", "#2471a3", (r) => r.g_loss],
    ["D accuracy", "#229954", (r) => r.d_accuracy],
  ];
  series.forEach(([name, colour, value], i) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    rows.forEach((r, j) => (j ? ctx.lineTo(x(r.step), y(value(r))) : ctx.moveTo(x(r.step), y(value(r)))));
    ctx.stroke();
    ctx.fillStyle = colour;
    ctx.fillText(name, pad + 10 + 90 * i, pad - 8);
  });
}

async function trainLoop() {
  const gridEvery = Math.max(1, Number($("grid-every").value) || 20);
  // Steps per call: a readback each call, so the page stays responsive.
  const chunk = Math.min(gridEvery, 5);
  const batch = Number($("batch").value);
  while (status.running) {
    const t0 = performance.now();
    let m;
    try {
      m = JSON.parse(await app.train(chunk));
    } catch (e) {
      status.running = false;
      problem(`training stopped: ${text(e)}`);
      break;
    }
    const secs = (performance.now() - t0) / 1000;
    status.imagesPerSec = (chunk * batch) / secs;
    status.step = m.step;
    status.history.push(m);
    $("stats").textContent =
      `step ${m.step} (epoch ${m.epoch + 1}, ${m.steps_per_epoch} steps each) · ` +
      `D ${m.d_loss.toFixed(3)} G ${m.g_loss.toFixed(3)} acc ${(100 * m.d_accuracy).toFixed(0)}% · ` +
      `${status.imagesPerSec.toFixed(1)} img/s`;
    drawChart();
    if (m.step % gridEvery < chunk) await drawGrid();
  }
  $("pause").textContent = "Resume";
}

async function startRun() {
  await stopLoop();
  clearProblem();
  try {
    // ?limit=N trains on the first N images only (tests use it).
    const limit = params.has("limit") ? Number(params.get("limit")) : undefined;
    await app.start(Number($("batch").value), $("optimizer").value, BigInt($("seed").value || 0), limit);
  } catch (e) {
    problem(`could not start a run at batch ${$("batch").value}: ${text(e)}`);
    return;
  }
  status.history = [];
  status.step = 0;
  await drawGrid();
  $("pause").disabled = false;
  $("save").disabled = false;
  runLoop();
}

function pauseOrResume() {
  if (status.running) stopLoop();
  else runLoop();
}

// The checkpoint as bytes, for the download button and for tests.
async function checkpointBytes() {
  const wasRunning = status.running;
  await stopLoop();
  try {
    return await app.checkpoint();
  } finally {
    if (wasRunning) runLoop();
  }
}

async function download() {
  try {
    const bytes = await checkpointBytes();
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: "checkpoint.safetensors" });
    a.click();
    URL.revokeObjectURL(url);
  } catch (e) {
    problem(`could not save a checkpoint: ${text(e)}`);
  }
}

// Loads checkpoint bytes (a native run's or the page's own) and shows its
// grid; the run can then continue with Resume.
async function loadCheckpoint(name, bytes) {
  await stopLoop();
  clearProblem();
  try {
    const summary = await app.load_checkpoint(name, bytes);
    $("stats").textContent = `loaded ${summary}`;
    await drawGrid();
    $("pause").disabled = false;
    $("pause").textContent = "Resume";
    $("save").disabled = false;
    return summary;
  } catch (e) {
    problem(`could not load ${name}: ${text(e)}`);
    throw e;
  }
}
window.gan.checkpointBytes = checkpointBytes;
window.gan.loadCheckpoint = loadCheckpoint;

async function main() {
  if (!navigator.gpu) {
    problem(
      "This browser has no WebGPU (navigator.gpu is missing). Use Chrome or Edge 113+, " +
        "Safari 26+, or Firefox 141+ on Windows; on Linux, Chrome needs " +
        "chrome://flags/#enable-unsafe-webgpu (and #enable-vulkan). The page must be served " +
        "from https:// or http://127.0.0.1."
    );
    $("adapter").textContent = "no WebGPU";
    return;
  }
  try {
    await init();
    app = await App.open();
  } catch (e) {
    problem(
      `WebGPU is present but gave no usable adapter: ${text(e)}. ` +
        "Check chrome://gpu; a machine without a GPU needs --enable-unsafe-webgpu " +
        "(Chrome then offers its SwiftShader CPU adapter)."
    );
    $("adapter").textContent = "no adapter";
    return;
  }
  // wgpu sees no adapter name in a browser; WebGPU's own info has one.
  const info = (await navigator.gpu.requestAdapter())?.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ");
  $("adapter-name").textContent = name || "unnamed adapter";
  status.adapter = name;
  $("adapter").textContent = JSON.stringify(JSON.parse(app.adapter()), null, 2);
  $("stats").textContent = `fetching ${DATA}…`;
  try {
    const response = await fetch(DATA);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const count = app.load_images(DATA, new Uint8Array(await response.arrayBuffer()));
    $("stats").textContent = `${count} training images loaded`;
  } catch (e) {
    problem(`could not load the training images from ${DATA}: ${text(e)}`);
  }
  $("start").disabled = false;
  $("load").disabled = false;
  $("start").onclick = startRun;
  $("pause").onclick = pauseOrResume;
  $("save").onclick = download;
  $("load").onchange = async (ev) => {
    const file = ev.target.files[0];
    if (file) await loadCheckpoint(file.name, new Uint8Array(await file.arrayBuffer())).catch(() => {});
  };
  status.ready = true;
  if (params.has("batch")) {
    const b = params.get("batch");
    if (![...$("batch").options].some((o) => o.value === b)) $("batch").add(new Option(b));
    $("batch").value = b;
  }
  if (params.has("grid_every")) $("grid-every").value = params.get("grid_every");
  if (params.has("autostart")) startRun();
}

main().catch((e) => problem(`unexpected error: ${text(e)}`));
