// The network drawn as in the TensorFlow Playground: the inputs, every hidden unit and the
// outputs as nodes (a hidden unit's picture inside its node), every weight as a line whose
// colour is its sign (blue positive, orange negative) and whose thickness is its magnitude
// against the largest weight of the network. Hovering over a line reads its weight; clicking it
// opens an editor that sets it in the live model (POST .../weight), and the next frame shows
// the boundary it gives. app.js calls Diagram.draw(frame) on every frame.
"use strict";

const Diagram = (() => {
  const SVG = "http://www.w3.org/2000/svg";
  const POSITIVE = [8, 119, 189], NEGATIVE = [245, 147, 34];
  const NODE = 30, GAP = 6, TOP = 30, SIDE = 24;
  let layout = null, onEdit = null, max = 1;

  // The frame's weights arrive as base64 text of little-endian float32 (pictures.py).
  function floats(text) {
    const raw = atob(text), bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }

  function shade(color, v) {  // white blended towards `color` by |v| in [0, 1]
    const a = Math.min(1, Math.abs(v));
    return color.map((c) => Math.round(255 + (c - 255) * a));
  }

  // Paint a unit's picture (bytes 0..254 for -1..1) into a small canvas.
  function paint(canvas, values, n) {
    const ctx = canvas.getContext("2d"), image = ctx.createImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const v = (values[i] - 127) / 127;
      const rgb = shade(v >= 0 ? POSITIVE : NEGATIVE, v);
      image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
  }

  // The inputs' names: the page's input features (x1, x2, x1², ...).
  function inputName(i) {
    const names = (state && state.config.features) || ["x1", "x2"];
    const name = names[i] || `x${i + 1}`;
    return (options && options.features && options.features[name]) || name;
  }

  function nodeName(l, i, dims) {
    if (l === 0) return `input ${inputName(i)}`;
    if (l === dims.length - 1) return dims[l] === 1 ? "output p(class 1)" : `output class ${i}`;
    return `layer ${l} unit ${i + 1}`;
  }

  // Built for the frame's own layer sizes: a frame may arrive before the state of the
  // settings that made it.
  function build(box, dims, extent) {
    const L = dims.length - 1;
    const tallest = Math.max(...dims);
    const width = Math.max(box.clientWidth || 400, 200);
    const height = TOP + tallest * (NODE + GAP) + 8;
    const step = (width - 2 * SIDE - NODE) / Math.max(L, 1);
    const pos = dims.map((n, l) => {
      const top = TOP + (tallest - n) * (NODE + GAP) / 2;
      return Array.from({ length: n }, (_, i) => [SIDE + l * step + NODE / 2, top + i * (NODE + GAP) + NODE / 2]);
    });
    box.innerHTML = "";
    box.style.height = `${height}px`;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", width); svg.setAttribute("height", height);
    svg.setAttribute("class", "diagram-lines");
    const edges = [];
    for (let l = 1; l <= L; l++) {
      for (let r = 0; r < dims[l]; r++) {
        for (let c = 0; c < dims[l - 1]; c++) {
          const g = document.createElementNS(SVG, "g");
          g.setAttribute("class", "weight");
          Object.assign(g.dataset, { layer: l, row: r, column: c });
          const [ax, ay] = pos[l - 1][c], [bx, by] = pos[l][r];
          for (const cls of ["hit", "ink"]) {
            const line = document.createElementNS(SVG, "line");
            line.setAttribute("class", cls);
            line.setAttribute("x1", ax + NODE / 2); line.setAttribute("y1", ay);
            line.setAttribute("x2", bx - NODE / 2); line.setAttribute("y2", by);
            g.appendChild(line);
          }
          const title = document.createElementNS(SVG, "title");
          g.appendChild(title);
          g.addEventListener("mouseenter", () => readout(g));
          g.addEventListener("click", (event) => { event.stopPropagation(); openEditor(g); });
          svg.appendChild(g);
          edges.push(g);
        }
      }
    }
    box.appendChild(svg);
    const nodes = [];
    dims.forEach((n, l) => {
      const heading = document.createElement("div");
      heading.className = "diagram-heading";
      // The full name as the heading's title; where the columns are too close for it (a deep
      // network on a phone), the heading shows a short one.
      heading.title = l === 0 ? "inputs" : l === L ? "output" : `layer ${l}`;
      heading.textContent = step >= 64 ? heading.title : l === 0 ? "in" : l === L ? "out" : `L${l}`;
      heading.style.left = `${pos[l][0][0] - 30}px`;
      box.appendChild(heading);
      nodes.push(pos[l].map(([x, y], i) => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = l === L ? 40 : 20;
        canvas.className = "node";
        canvas.title = nodeName(l, i, dims);
        canvas.style.left = `${x - NODE / 2}px`; canvas.style.top = `${y - NODE / 2}px`;
        box.appendChild(canvas);
        return canvas;
      }));
    });
    layout = { key: JSON.stringify([dims, extent]), dims, edges, nodes };
  }

  function readout(g) {
    const d = g.dataset, dims = layout.dims, l = Number(d.layer);
    $("weight-readout").textContent =
      `W${l}[${d.row}, ${d.column}] = ${Number(g.dataset.value).toPrecision(4)}: ` +
      `${nodeName(l - 1, Number(d.column), dims)} \u2192 ${nodeName(l, Number(d.row), dims)}`;
  }

  function openEditor(g) {
    const d = g.dataset, form = $("weight-editor");
    form.hidden = false;
    form.dataset.layer = d.layer; form.dataset.row = d.row; form.dataset.column = d.column;
    $("weight-editor-name").textContent = `W${d.layer}[${d.row}, ${d.column}]`;
    const input = $("weight-value");
    input.value = Number(d.value).toPrecision(4);
    input.focus(); input.select();
  }

  function setup(edit) {
    onEdit = edit;
    const form = $("weight-editor");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const d = form.dataset;
      form.hidden = true;
      onEdit({ layer: Number(d.layer), row: Number(d.row), column: Number(d.column),
               value: Number($("weight-value").value) });
    });
    $("weight-cancel").addEventListener("click", () => { form.hidden = true; });
  }

  function draw(state, frame) {
    const box = $("diagram");
    const dims = frame.weights.dims;
    const key = JSON.stringify([dims, state.extent]);
    if (!layout || layout.key !== key || !box.contains(layout.edges[0] || null)) build(box, dims, state.extent);
    const weights = frame.weights.W.map(floats);
    max = 0;
    for (const W of weights) for (const w of W) if (Number.isFinite(w)) max = Math.max(max, Math.abs(w));
    max = max || 1;
    $("diagram-scale").textContent = max.toPrecision(3);
    for (const g of layout.edges) {
      const d = g.dataset, l = Number(d.layer), cols = layout.dims[l - 1];
      const w = weights[l - 1][Number(d.row) * cols + Number(d.column)];
      const ink = g.lastElementChild.previousElementSibling;  // the "ink" line, before the title
      const rgb = w >= 0 ? POSITIVE : NEGATIVE;
      ink.setAttribute("stroke", `rgb(${rgb.join(",")})`);
      ink.setAttribute("stroke-width", (0.3 + 4.7 * Math.min(1, Math.abs(w) / max)).toFixed(2));
      g.dataset.value = w;
      g.lastElementChild.textContent = `W${l}[${d.row}, ${d.column}] = ${Number(w).toPrecision(4)}`;
    }
    const n = frame.units.size;
    // The inputs' pictures (the features over the plane), then each hidden layer's units.
    [...(frame.inputs ? frame.inputs.layers : []), ...frame.units.layers].forEach((text, k) => {
      const l = frame.inputs ? k - 1 : k;
      const all = bytes(text);
      (layout.nodes[l + 1] || []).forEach((canvas, u) => paint(canvas, all.subarray(u * n * n, (u + 1) * n * n), n));
    });
    const out = layout.nodes[layout.nodes.length - 1];
    out.forEach((canvas) => {
      const ctx = canvas.getContext("2d");
      ctx.drawImage($("boundary"), ...boundaryArea(), 0, 0, canvas.width, canvas.height);
    });
  }

  return { setup, draw, floats };
})();
