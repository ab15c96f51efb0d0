// atomatlas report: draws the run's data (the JSON block #atlas-data) with plotly.js.
// Every string from the run reaches the page through textContent or through plotly as
// escaped text: nothing the run wrote is ever parsed as HTML.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("atlas-data").textContent);
  const root = document.getElementById("report");
  const PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
    "#ccb974", "#64b5cd", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
    "#666666", "#a6cee3", "#b2df8a"];
  const DIM = 0.25;
  const state = { colour: null, highlighted: null };

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  // plotly reads hover and legend text as a small HTML subset: escape it to show as typed
  function esc(value) {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function section(title, id) {
    const box = el("section");
    if (id) box.id = id;
    box.appendChild(el("h2", title));
    root.appendChild(box);
    return box;
  }
  function table(columns, rows, onRowClick) {
    const t = el("table");
    const head = t.createTHead().insertRow();
    columns.forEach((c) => head.appendChild(el("th", c)));
    const body = t.createTBody();
    rows.forEach((row, i) => {
      const tr = body.insertRow();
      row.forEach((v) => tr.appendChild(el("td", v === null || v === undefined ? "" : format(v))));
      if (onRowClick) {
        tr.className = "clickable";
        tr.addEventListener("click", () => onRowClick(i, tr));
      }
    });
    return t;
  }
  function format(v) {
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
    return String(v);
  }

  document.getElementById("title").textContent = data.title;
  document.getElementById("subtitle").textContent = (data.kind === "run" ? "atomatlas run" : "atomatlas " + data.kind +
    " run") + ": " + data.folder;

  // --- what ran -----------------------------------------------------------------------
  if (data.summary.length) section("What ran").appendChild(table(["step", "result"], data.summary));

  // --- points: map and 3-D view -------------------------------------------------------
  const P = data.points;
  function value(column, i) {
    const c = P.columns[column];
    if (c.kind === "category") return c.codes[i] < 0 ? "(none)" : c.levels[c.codes[i]];
    return c.values[i];
  }
  function hover(column, i) {
    const parts = P.ids.map((name) => esc(name) + ": " + esc(value(name, i)));
    if (column && !P.ids.includes(column)) parts.push(esc(column) + ": " + esc(format(value(column, i))));
    return parts.join("<br>");
  }
  function groups(column, rows) {
    // per class of a category column, the point indices among `rows`
    const c = P.columns[column];
    const out = new Map();
    rows.forEach((i) => {
      const code = c.codes[i];
      if (!out.has(code)) out.set(code, []);
      out.get(code).push(i);
    });
    return [...out.entries()].sort((a, b) => a[0] - b[0]);
  }
  function traces(column, rows, coords, kind) {
    const c = P.columns[column];
    const marker = kind === "scatter3d" ? { size: 3 } : { size: rows.length > 20000 ? 3 : 6 };
    if (c.kind === "category") {
      return groups(column, rows).map(([code, members]) => Object.assign(coords(members), {
        type: kind, mode: "markers", name: esc(code < 0 ? "(none)" : c.levels[code]), meta: { column, code },
        marker: Object.assign({ color: PALETTE[(code < 0 ? PALETTE.length - 1 : code) % PALETTE.length] }, marker),
        hovertext: members.map((i) => hover(column, i)), hoverinfo: "text", customdata: members,
      }));
    }
    return [Object.assign(coords(rows), {
      type: kind, mode: "markers", name: esc(column), meta: { column, code: null }, showlegend: false,
      marker: Object.assign({ color: rows.map((i) => c.values[i]), colorscale: "Viridis", showscale: true,
        colorbar: { title: { text: esc(column) } } }, marker),
      hovertext: rows.map((i) => hover(column, i)), hoverinfo: "text", customdata: rows,
    })];
  }

  let mapDiv = null, viewDiv = null, frameSelect = null;
  const allRows = P ? [...Array(P.n).keys()] : [];

  function drawMap() {
    if (!mapDiv) return;
    const coords = (rows) => ({ x: rows.map((i) => P.map[0][i]), y: rows.map((i) => P.map[1][i]) });
    const shown = traces(state.colour, allRows, coords, "scattergl");
    if (P.density) {
      shown.unshift({ type: "heatmap", x: P.density.x, y: P.density.y, z: P.density.counts.map((r) => r.map(
        (v) => (v > 0 ? Math.log10(v + 1) : null))), colorscale: "Greys", showscale: false, hoverinfo: "skip",
        name: "density", meta: { density: true }, opacity: 0.6 });
    }
    const axis = esc(P.axis);
    Plotly.react(mapDiv, shown, { margin: { t: 10, r: 10 }, height: 520, hovermode: "closest",
      xaxis: { title: { text: axis + " 1" } }, yaxis: { title: { text: axis + " 2" } },
      legend: { title: { text: esc(state.colour) }, itemclick: false, itemdoubleclick: false } },
    { responsive: true, displaylogo: false });
  }
  function drawView() {
    if (!viewDiv) return;
    const frame = P.frames[Number(frameSelect.value) || 0];
    const X = P.columns.x.values, Y = P.columns.y.values, Z = P.columns.z.values;
    const coords = (rows) => ({ x: rows.map((i) => X[i]), y: rows.map((i) => Y[i]), z: rows.map((i) => Z[i]) });
    Plotly.react(viewDiv, traces(state.colour, frame.rows, coords, "scatter3d"), {
      margin: { t: 10, l: 0, r: 0, b: 0 }, height: 520,
      scene: { aspectmode: "data", xaxis: { title: { text: "x (A)" } }, yaxis: { title: { text: "y (A)" } },
        zaxis: { title: { text: "z (A)" } } },
      legend: { title: { text: esc(state.colour) }, itemclick: false, itemdoubleclick: false },
    }, { responsive: true, displaylogo: false });
  }
  function members(column, code) {
    return allRows.filter((i) => P.columns[column].codes[i] === code);
  }
  // Highlight every point of one class of `column` in the map and the 3-D view; again: clear.
  function highlight(column, level) {
    const c = P.columns[column];
    const code = c.levels.indexOf(String(level));
    if (code < 0) return [];
    if (state.highlighted && state.highlighted.column === column && state.highlighted.code === code) {
      clear();
      return [];
    }
    state.highlighted = { column, code, rows: members(column, code) };
    restyle();
    return state.highlighted.rows.map((i) => P.row[i]);
  }
  function clear() {
    state.highlighted = null;
    restyle();
  }
  function restyle() {
    const h = state.highlighted;
    [mapDiv, viewDiv].forEach((div) => {
      if (!div || !div.data) return;
      const overlay = div.data.findIndex((t) => t.meta && t.meta.selected);
      if (overlay >= 0) Plotly.deleteTraces(div, overlay);
      const opacity = div.data.map((t) => (t.meta && t.meta.density ? 0.6 : h ? DIM : 1));
      Plotly.restyle(div, { opacity });
      if (!h) return;
      let rows = h.rows;
      let coords;
      if (div === mapDiv) {
        coords = { x: rows.map((i) => P.map[0][i]), y: rows.map((i) => P.map[1][i]), type: "scattergl" };
      } else {
        const inFrame = new Set(P.frames[Number(frameSelect.value) || 0].rows);
        rows = rows.filter((i) => inFrame.has(i));
        coords = { x: rows.map((i) => P.columns.x.values[i]), y: rows.map((i) => P.columns.y.values[i]),
          z: rows.map((i) => P.columns.z.values[i]), type: "scatter3d" };
      }
      Plotly.addTraces(div, Object.assign(coords, {
        mode: "markers", name: esc("selected: " + h.column + " " + P.columns[h.column].levels[h.code]),
        meta: { selected: true }, customdata: rows, hovertext: rows.map((i) => hover(h.column, i)),
        hoverinfo: "text", marker: { size: div === mapDiv ? 9 : 5, color: PALETTE[h.code % PALETTE.length],
          line: { color: "#111", width: div === mapDiv ? 1.5 : 1 } },
      }));
    });
    document.querySelectorAll("tr[data-cluster]").forEach((tr) => {
      tr.classList.toggle("selected", !!h && h.column === "cluster" && tr.dataset.cluster === P.columns.cluster
        .levels[h.code]);
    });
  }
  function legendClick(event) {
    const meta = event.data[event.curveNumber].meta;
    if (meta && meta.column && meta.code !== null && meta.code >= 0) {
      highlight(meta.column, P.columns[meta.column].levels[meta.code]);
    }
    return false;
  }

  if (P) {
    state.colour = P.colour_by[0] || null;
    const box = section(P.map ? "Map" : "Structure", "points");
    const controls = el("div", null, "controls");
    const label = el("label", "colour by ");
    const select = el("select");
    select.id = "colour-by";
    P.colour_by.forEach((name) => { const o = el("option", name); o.value = name; select.appendChild(o); });
    label.appendChild(select);
    controls.appendChild(label);
    box.appendChild(controls);
    const of = P.n.toLocaleString("en") + " of " + P.total.toLocaleString("en");
    const shownText = (P.n === P.total ? P.n.toLocaleString("en") + " points. "
      : P.density ? "Showing a uniform random sample of " + of + " points; the grey density underneath counts " +
        "all of them. Zoom in to see single points. "
      : "Showing the first " + of + " rows (whole frames from the start; labels.csv has them all). ") +
      "Click a legend entry or a cluster row to highlight its members (again to clear).";
    box.appendChild(el("p", shownText, "note"));
    const row = el("div", null, "pair");
    box.appendChild(row);
    if (P.map) { mapDiv = el("div", null, "plot"); mapDiv.id = "map"; row.appendChild(mapDiv); }
    if (P.frames) {
      const side = el("div", null, "plot");
      const frameLabel = el("label", "structure ");
      frameSelect = el("select");
      frameSelect.id = "frame";
      P.frames.forEach((f, i) => {
        const o = el("option", f.name + " (" + f.atoms + (f.rows.length < f.atoms ? ", first " + f.rows.length : "") +
          ")");
        o.value = String(i);
        frameSelect.appendChild(o);
      });
      frameLabel.appendChild(frameSelect);
      side.appendChild(frameLabel);
      viewDiv = el("div");
      viewDiv.id = "view";
      side.appendChild(viewDiv);
      row.appendChild(side);
      frameSelect.addEventListener("change", () => { drawView(); restyle(); });
    }
    if (state.colour) {
      select.addEventListener("change", () => { state.colour = select.value; state.highlighted = null;
        drawMap(); drawView(); });
      drawMap();
      drawView();
      [mapDiv, viewDiv].forEach((div) => div && div.on("plotly_legendclick", legendClick));
    }
  }

  // --- clusters -----------------------------------------------------------------------
  if (data.clusters.length) {
    const box = section("Clusters", "clusters");
    const labelSets = [...new Set(data.clusters.flatMap((c) => Object.keys(c.scores)))];
    const named = data.clusters.some((c) => c.name);  // per-atom runs: named by identify's labels
    const columns = ["cluster", ...(named ? ["name (identify)", "note"] : []), "size", "silhouette",
      "representative", ...labelSets.map((n) => "most common " + n)];
    const rows = data.clusters.map((c) => [c.cluster,
      ...(named ? [c.name, c.novel_order ? "compact, but no known lattice" : ""] : []),
      c.size, c.silhouette, c.representative,
      ...labelSets.map((n) => (c.scores[n] ? c.scores[n].class + " (" + (100 * c.scores[n].fraction).toFixed(1) +
        "%)" : ""))]);
    const t = table(columns, rows, (i) => { if (P && P.columns.cluster) highlight("cluster", data.clusters[i].cluster); });
    t.querySelectorAll("tbody tr").forEach((tr, i) => { tr.dataset.cluster = data.clusters[i].cluster; });
    box.appendChild(t);
  }

  // --- choosing k ---------------------------------------------------------------------
  const K = data.k_selection;
  if (K && Array.isArray(K.scores) && K.scores.length) {
    const box = section("Choosing k", "k-selection");
    box.appendChild(el("p", "k = " + K.chosen_k + " chosen by " + K.criterion + (K.merged_to
      ? " (mixture components, merged into " + K.merged_to + " clusters)" : "") + (K.at_edge
      ? " (at the edge of the range tried: widen it)" : ""), "note"));
    const div = el("div", null, "plot");
    div.id = "k-plot";
    box.appendChild(div);
    const names = Object.keys(K.scores[0]).filter((n) => n !== "k");
    const ks = K.scores.map((s) => s.k);
    Plotly.newPlot(div, names.map((n, i) => ({ x: ks, y: K.scores.map((s) => s[n]), name: esc(n),
      mode: "lines+markers", yaxis: i ? "y" + (i + 1) : "y", visible: n === K.criterion ? true : "legendonly" })),
    { height: 360, margin: { t: 10 }, xaxis: { title: { text: "k" }, dtick: 1 },
      shapes: [{ type: "line", x0: K.chosen_k, x1: K.chosen_k, yref: "paper", y0: 0, y1: 1,
        line: { dash: "dot", color: "#c44e52" } }],
      ...Object.fromEntries(names.slice(1).map((n, i) => ["yaxis" + (i + 2), { overlaying: "y", visible: false }])) },
    { responsive: true, displaylogo: false });
  }

  // --- per-frame fractions (identify classes, or clusters) ---------------------------
  const F = data.fractions;
  if (F && F.rows.length) {
    const box = section("Fractions per frame", "fractions");
    const frameCol = F.columns.indexOf("frame");
    const classes = F.columns.filter((c) => !["structure", "frame", "atoms"].includes(c));
    if (F.rows.length > 1 && frameCol >= 0) {
      const div = el("div", null, "plot");
      box.appendChild(div);
      Plotly.newPlot(div, classes.map((c) => ({ x: F.rows.map((r, i) => i), y: F.rows.map((r) => r[F.columns
        .indexOf(c)]), name: esc(c), stackgroup: "one" })), { height: 320, margin: { t: 10 },
        xaxis: { title: { text: "frame (in file order)" } }, yaxis: { title: { text: "fraction" } } },
      { responsive: true, displaylogo: false });
    }
  }

  // --- one row per structure (runs without a map, e.g. classify) ----------------------
  if (data.rows && data.rows.rows.length) {
    const box = section("Results", "rows");
    box.appendChild(table(data.rows.columns, data.rows.rows));
  }

  // --- tables and figures -------------------------------------------------------------
  if (data.tables.length) {
    const box = section("Tables", "tables");
    data.tables.forEach((t) => { box.appendChild(el("h3", t.name)); box.appendChild(table(t.columns, t.rows)); });
  }
  if (data.figures.length) {
    const box = section("Figures", "figures");
    data.figures.forEach((f) => {
      const fig = el("figure");
      if (f.png) {
        const img = el("img");
        img.src = "data:image/png;base64," + f.png;
        img.alt = f.name;
        fig.appendChild(img);
      }
      fig.appendChild(el("figcaption", f.name + (f.png ? "" : " (too large to embed: open it from the run folder)")));
      box.appendChild(fig);
    });
  }

  // --- how to rerun -------------------------------------------------------------------
  const box = section("Config, versions and how to rerun", "config");
  if (data.rerun) box.appendChild(el("pre", data.rerun));
  if (data.config) box.appendChild(el("pre", data.config));
  const versions = Object.entries(data.versions || {});
  if (versions.length) box.appendChild(table(["library", "version"], versions));

  window.atlas = { data, highlight, clear, state };
  document.body.dataset.ready = "yes";
})();
