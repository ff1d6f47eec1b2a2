// Charts with axes for the playground page: the loss and accuracy curves (linear or log scale)
// and the ticks around the decision boundary. Plain canvas; app.js calls these.
"use strict";

const Charts = (() => {
  const INK = "#555", GRID = "#e4e4e4", FONT = "10px sans-serif";

  // About `count` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart;
  // whole numbers only when `integer`).
  function ticks(lo, hi, count, integer) {
    if (!(hi > lo)) return [lo];
    const raw = Math.max((hi - lo) / Math.max(count, 1), integer ? 1 : 0);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((k) => k * power).find((s) => s >= 0.7 * raw);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }

  // Powers of ten within [lo, hi] (both > 0); at least the two ends when none falls inside.
  function logTicks(lo, hi) {
    const out = [];
    for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) out.push(Math.pow(10, e));
    const stride = Math.ceil(out.length / 6);  // at most about 6 labels
    const kept = out.filter((_, i) => i % stride === 0);
    return kept.length ? kept : [lo, hi];
  }

  function label(v) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
    return String(Number(v.toPrecision(3)));
  }

  // Axes, ticks and grid lines (or, with noGrid, tick marks outside the area) for a plot area;
  // returns the area's x and y maps.
  function axes(ctx, area, xRange, yRange, options) {
    const { x, y, w, h } = area;
    const [x0, x1] = xRange, [y0, y1] = yRange, log = options.log;
    const ly0 = log ? Math.log10(y0) : y0, ly1 = log ? Math.log10(y1) : y1;
    const X = (v) => x + (v - x0) / (x1 - x0 || 1) * w;
    const Y = (v) => y + (1 - ((log ? Math.log10(v) : v) - ly0) / (ly1 - ly0 || 1)) * h;
    ctx.save();
    ctx.font = FONT; ctx.fillStyle = INK; ctx.strokeStyle = GRID; ctx.lineWidth = 1;
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    const yTicks = log ? logTicks(y0, y1) : ticks(y0, y1, options.yTicks || 4);
    for (const v of yTicks) {
      const py = Math.round(Y(v)) + 0.5;
      ctx.beginPath();
      if (options.noGrid) { ctx.strokeStyle = INK; ctx.moveTo(x - 3, py); ctx.lineTo(x, py); }
      else { ctx.moveTo(x, py); ctx.lineTo(x + w, py); }
      ctx.stroke();
      ctx.fillText(label(v), x - 5, py);
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of ticks(x0, x1, options.xTicks || 5, options.integer)) {
      const px = Math.round(X(v)) + 0.5;
      ctx.beginPath();
      if (options.noGrid) { ctx.strokeStyle = INK; ctx.moveTo(px, y + h); ctx.lineTo(px, y + h + 3); }
      else { ctx.moveTo(px, y); ctx.lineTo(px, y + h); }
      ctx.stroke();
      const text = label(v), half = ctx.measureText(text).width / 2;  // kept inside the canvas
      ctx.fillText(text, Math.min(Math.max(px, half), ctx.canvas.width - half), y + h + 3);
    }
    ctx.strokeStyle = "#999"; ctx.strokeRect(x + 0.5, y + 0.5, w, h);
    if (options.xLabel) { ctx.textBaseline = "bottom"; ctx.fillText(options.xLabel, x + w / 2, y + h + 26); }
    if (options.yLabel) {
      ctx.translate(10, y + h / 2); ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = "middle"; ctx.fillText(options.yLabel, 0, 0);
    }
    ctx.restore();
    return { X, Y };
  }

  // Curves of `series` (arrays of numbers or null) over `xs`; `range` fixes the y range (else
  // the data's); `log` draws the y axis on a log scale (values <= 0 left out).
  function lines(canvas, xs, series, colors, options) {
    const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    const area = { x: 46, y: 6, w: W - 54, h: H - 40 };
    const log = Boolean(options.log);
    const ok = (v) => v !== null && Number.isFinite(v) && (!log || v > 0);
    const values = series.flat().filter(ok);
    let [lo, hi] = options.range || (values.length ? [Math.min(...values), Math.max(...values)] : [0, 1]);
    if (log && values.length === 0) [lo, hi] = [0.1, 1];
    if (hi <= lo) { if (log) { lo /= 2; hi *= 2; } else { hi = lo + 1; } }
    const xmax = Math.max(xs.length ? xs[xs.length - 1] : 1, 1);
    const { X, Y } = axes(ctx, area, [0, xmax], [lo, hi],
                          { log, xLabel: "epoch", yLabel: options.yLabel, xTicks: 4, integer: true });
    canvas.dataset.scale = log ? "log" : "linear";
    ctx.save();
    ctx.beginPath(); ctx.rect(area.x, area.y, area.w, area.h); ctx.clip();
    series.forEach((ys, k) => {
      ctx.strokeStyle = colors[k]; ctx.lineWidth = 1.5;
      ctx.beginPath();
      let gap = true;  // a missing value (an infinite loss) breaks the line
      ys.forEach((v, i) => {
        if (!ok(v)) { gap = true; return; }
        if (gap) ctx.moveTo(X(xs[i]), Y(v)); else ctx.lineTo(X(xs[i]), Y(v));
        gap = false;
      });
      ctx.stroke();
    });
    ctx.restore();
  }

  return { ticks, logTicks, axes, lines };
})();
