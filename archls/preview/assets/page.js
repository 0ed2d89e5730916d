// The preview page's behaviour: zoom and pan, the side panel, flows, chaos mode and live updates.
// The drawing itself comes from the server (archls/preview/svg.py); this script only reads the
// scene's JSON and changes classes and attributes. Text from the architecture is only ever set with
// textContent, never parsed as HTML.
(function () {
  "use strict";

  const $ = (selector, root) => (root || document).querySelector(selector);
  const readJson = (id) => {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  const config = readJson("archls-config") || { mode: "static" };
  let scene = readJson("archls-scene");
  let singles = readJson("archls-chaos") || {};

  const state = {
    selected: null, // component id
    flow: "",
    chaos: false,
    failed: new Set(), // component or group ids
    zones: new Set(),
    result: null,
    view: null, // {x, y, k}
    fitted: false, // the view is the fitted one (the user has not zoomed or panned since)
    request: 0,
  };

  // --- hosts: where chaos results, source positions and updates come from ------------------------

  const host = (() => {
    if (config.mode === "vscode" && typeof acquireVsCodeApi === "function") {
      const vscode = acquireVsCodeApi();
      const waiting = new Map();
      let next = 0;
      const listeners = [];
      window.addEventListener("message", (event) => {
        const message = event.data || {};
        if (message.type === "update") listeners.forEach((fn) => fn(message));
        if (message.type === "chaos-result" && waiting.has(message.id)) {
          const { resolve, reject } = waiting.get(message.id);
          waiting.delete(message.id);
          if (message.error) reject(new Error(message.error));
          else resolve(message.result);
        }
      });
      vscode.postMessage({ type: "ready" });
      return {
        live: true,
        chaos: (fail, zones) =>
          new Promise((resolve, reject) => {
            next += 1;
            waiting.set(next, { resolve, reject });
            vscode.postMessage({ type: "chaos", id: next, fail, zones });
          }),
        reveal: (node) =>
          vscode.postMessage({ type: "reveal", id: node.id, file: node.file, line: node.line, character: node.character, end: node.end }),
        open: (href) => vscode.postMessage({ type: "open", href }),
        onUpdate: (fn) => listeners.push(fn),
      };
    }
    if (config.mode === "http" && config.token) {
      const query = `token=${encodeURIComponent(config.token)}`;
      const post = async (path, body) => {
        const response = await fetch(`${path}?${query}`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        const data = await response.json();
        if (!response.ok) throw new Error(data.error || response.statusText);
        return data;
      };
      return {
        live: true,
        chaos: (fail, zones) => post("/chaos", { fail, zones }),
        reveal: (node) => post("/reveal", { id: node.id }).then((answer) => status(answer.message || "")),
        open: null,
        ruleHref: (code) => `/rules/${encodeURIComponent(code)}?${query}`,
        onUpdate(fn) {
          let events = null;
          // The server sends what changed since the drawing the page says it has (it sends the
          // whole drawing to a page that has another).
          const connect = (drawing) => {
            if (events) events.close();
            const since = drawing == null ? "" : `&drawing=${encodeURIComponent(drawing)}`;
            events = new EventSource(`/events?${query}${since}`);
            events.addEventListener("update", (event) => fn(JSON.parse(event.data)));
            events.addEventListener("error", () => status("disconnected from archls; reload when it runs again"));
            events.addEventListener("open", () => status("live"));
          };
          this.resync = () => connect(null);
          connect(config.drawing);
        },
      };
    }
    return {
      live: false,
      chaos: (fail, zones) => {
        const key = fail.length === 1 && zones.length === 0 ? fail[0] : zones.length === 1 && fail.length === 0 ? `zone:${zones[0]}` : null;
        if (key && singles[key]) return Promise.resolve(singles[key]);
        if (!Object.keys(singles).length) {
          // A page of a large architecture is saved without them (they would weigh megabytes).
          return Promise.reject(
            new Error(`this saved page carries no failures; run \`archls chaos ${scene.path} --fail NAME\`, or \`archls preview ${scene.path}\` for a live page`),
          );
        }
        return Promise.reject(
          new Error("this saved page holds single failures only; combine failures with `archls chaos FILE --fail A --fail B` or in the live preview"),
        );
      },
      reveal: (node) => status(node.line == null ? "no source position" : `${node.file || scene.path}:${node.line + 1}`),
      open: null,
      onUpdate: () => {},
    };
  })();

  // --- the drawing -----------------------------------------------------------------------------------

  const canvas = $("#canvas");
  const svg = () => $("#canvas > svg");
  const nodesById = () => new Map((scene.nodes || []).map((n) => [n.id, n]));
  let byId = nodesById();

  function status(text) {
    const el = $("#status");
    if (el) el.textContent = text;
  }

  function applyView() {
    const root = svg();
    if (!root || !state.view) return;
    const { x, y, k } = state.view;
    $(".viewport", root).setAttribute("transform", `translate(${x} ${y}) scale(${k})`);
  }

  function fit() {
    const root = svg();
    if (!root) return;
    const box = canvas.getBoundingClientRect();
    const width = Number(root.dataset.width || root.getAttribute("width"));
    const height = Number(root.dataset.height || root.getAttribute("height"));
    root.dataset.width = String(width);
    root.dataset.height = String(height);
    root.removeAttribute("width");
    root.removeAttribute("height");
    root.setAttribute("viewBox", `0 0 ${Math.max(box.width, 1)} ${Math.max(box.height, 1)}`);
    const k = Math.min(1.25, Math.max(0.05, Math.min(box.width / width, box.height / height) * 0.96));
    state.view = { k, x: (box.width - width * k) / 2, y: (box.height - height * k) / 2 };
    state.fitted = true;
    shown = { width: box.width, height: box.height };
    applyView();
  }

  // The canvas changed size (the panel opened or closed, the window was resized): a fitted drawing
  // is fitted again to what is left of it, so nothing is hidden behind the panel; one the user
  // zoomed keeps its scale and its centre.
  let shown = null;
  function resized() {
    const root = svg();
    if (!root) return;
    const box = canvas.getBoundingClientRect();
    if (shown && shown.width === box.width && shown.height === box.height) return;
    const before = shown;
    shown = { width: box.width, height: box.height };
    if (state.fitted) {
      fit();
      return;
    }
    root.setAttribute("viewBox", `0 0 ${Math.max(box.width, 1)} ${Math.max(box.height, 1)}`);
    if (before && state.view) {
      state.view = { ...state.view, x: state.view.x + (box.width - before.width) / 2, y: state.view.y + (box.height - before.height) / 2 };
      applyView();
    }
  }

  function zoom(factor, cx, cy) {
    if (!state.view) return;
    const box = canvas.getBoundingClientRect();
    const px = cx === undefined ? box.width / 2 : cx;
    const py = cy === undefined ? box.height / 2 : cy;
    const k = Math.min(4, Math.max(0.05, state.view.k * factor));
    const ratio = k / state.view.k;
    state.view = { k, x: px - (px - state.view.x) * ratio, y: py - (py - state.view.y) * ratio };
    state.fitted = false;
    applyView();
  }

  canvas.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const box = canvas.getBoundingClientRect();
      zoom(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
    },
    { passive: false },
  );
  let drag = null;
  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || event.target.closest(".node")) return;
    drag = { x: event.clientX, y: event.clientY, view: { ...state.view }, moved: false };
    canvas.setPointerCapture(event.pointerId);
    canvas.classList.add("panning");
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) {
      drag.moved = true;
      state.fitted = false;
    }
    state.view = { k: drag.view.k, x: drag.view.x + dx, y: drag.view.y + dy };
    applyView();
  });
  const endDrag = (event) => {
    if (!drag) return;
    const moved = drag.moved;
    drag = null;
    canvas.classList.remove("panning");
    if (!moved && event.type === "pointerup" && !event.target.closest(".node")) select(null);
  };
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);

  canvas.addEventListener("click", (event) => {
    const node = event.target.closest(".node");
    if (!node) return;
    const id = node.getAttribute("data-component-id");
    // In chaos mode a click fails or restores the component and leaves the panel as it is (it
    // follows the click when open); Shift-click or the context menu opens a component's details.
    if (state.chaos && !event.shiftKey) {
      toggleFailure(id);
      if (state.selected) select(id);
      return;
    }
    select(id);
  });
  canvas.addEventListener("contextmenu", (event) => {
    const node = event.target.closest(".node");
    if (!node) return;
    event.preventDefault();
    select(node.getAttribute("data-component-id"));
  });
  canvas.addEventListener("keydown", (event) => {
    const node = event.target.closest && event.target.closest(".node");
    if (node && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      node.dispatchEvent(new MouseEvent("click", { bubbles: true, shiftKey: event.shiftKey }));
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest && event.target.closest("select, input")) return;
    if (event.key === "+" || event.key === "=") zoom(1.2);
    else if (event.key === "-") zoom(1 / 1.2);
    else if (event.key === "0") fit();
    else if (event.key === "Escape") select(null);
  });

  // --- the side panel --------------------------------------------------------------------------------

  const fmt = {
    money: (v) => (v == null ? "–" : `$${Math.round(v).toLocaleString("en-US")}/mo`),
    pct: (v) => (v == null ? "–" : `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`),
    ms: (v) => (v == null ? "–" : v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`),
    avail: (v) => (v == null ? "–" : `${v.toFixed(3).replace(/0+$/, "").replace(/\.$/, "")}%`),
    rps: (v) => (v == null ? "–" : `${v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1)} rps`),
  };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function select(id, pan = true) {
    state.selected = id && byId.has(id) ? id : null;
    for (const node of svg().querySelectorAll(".node.selected")) node.classList.remove("selected");
    let chosen = null;
    if (state.selected) {
      chosen = svg().querySelector(`.node[data-component-id="${CSS.escape(state.selected)}"]`);
      if (chosen) chosen.classList.add("selected");
    }
    renderPanel();
    resized(); // at once, so the node is brought into the view that is left beside the panel
    if (chosen && pan) reveal(chosen);
  }

  // Pan just enough to bring a node into view (the panel may have covered it).
  function reveal(node) {
    if (!state.view) return;
    const frame = canvas.getBoundingClientRect();
    const box = node.getBoundingClientRect();
    const margin = 24;
    let dx = 0;
    let dy = 0;
    if (box.right > frame.right - margin) dx = frame.right - margin - box.right;
    if (box.left + dx < frame.left + margin) dx = frame.left + margin - box.left;
    if (box.bottom > frame.bottom - margin) dy = frame.bottom - margin - box.bottom;
    if (box.top + dy < frame.top + margin) dy = frame.top + margin - box.top;
    if (dx || dy) {
      state.view = { ...state.view, x: state.view.x + dx, y: state.view.y + dy };
      applyView();
    }
  }

  function renderPanel() {
    const panel = $("#panel");
    panel.replaceChildren();
    const node = state.selected ? byId.get(state.selected) : null;
    if (!node) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    const f = node.figures || {};
    const close = el("button", { class: "close", type: "button", "aria-label": "Close the panel" }, "×");
    close.addEventListener("click", () => select(null));
    const tech = [node.technology, node.version].filter(Boolean).join(" ");
    const rows = [
      ["Type", node.type],
      ["Technology", tech || "–"],
      ["Replicas", String(node.replicas)],
      ["Cost", fmt.money(f.costMonthly)],
      ["Utilisation", fmt.pct(f.utilisation)],
      ["Arrivals", fmt.rps(f.arrivalRps)],
      ["p99 here", fmt.ms(f.p99Ms)],
      ["Availability", fmt.avail(f.availability)],
      ["Dependents", f.dependents == null ? "–" : String(f.dependents)],
    ];
    if (node.group) rows.push(["Group", node.group]);
    if (node.alsoIn && node.alsoIn.length) rows.push(["Also in", node.alsoIn.join(", ")]);
    const actions = el("div", { class: "actions" });
    const source = el("button", { type: "button", "data-action": "source" }, "Go to source");
    source.addEventListener("click", () => host.reveal(node));
    actions.append(source);
    const failing = state.failed.has(node.id);
    const fail = el("button", { type: "button", "data-action": "fail", "aria-pressed": String(failing) }, failing ? "Restore" : "Fail");
    fail.addEventListener("click", () => {
      if (!state.chaos) setChaos(true);
      toggleFailure(node.id);
    });
    actions.append(fail);
    panel.append(
      close,
      el("h2", {}, node.id),
      el("div", { class: "kind" }, node.description || ""),
      actions,
      el("dl", {}, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
    );
    const impact = state.result && state.result.components ? state.result.components.find((c) => c.id === node.id) : null;
    if (impact && impact.state !== "up") {
      panel.append(el("h3", {}, `Chaos: ${impact.state}`));
      panel.append(el("ul", {}, impact.reasons.map((r) => el("li", { class: `reason ${impact.state}` }, r.text))));
      if (impact.chain.length > 1) panel.append(el("div", { class: "kind" }, `chain: ${impact.chain.join(" → ")}`));
    }
    panel.append(el("h3", {}, `Findings (${node.findings.length})`));
    if (!node.findings.length) panel.append(el("div", { class: "empty" }, "None."));
    panel.append(
      el(
        "ul",
        {},
        node.findings.map((finding) => {
          const href = host.ruleHref ? host.ruleHref(finding.code) : finding.href;
          const link = el("a", { href, target: "_blank", rel: "noopener noreferrer" }, finding.code);
          if (host.open) {
            link.addEventListener("click", (event) => {
              event.preventDefault();
              host.open(finding.href);
            });
          }
          return el("li", { class: finding.severity }, link, " ", finding.message);
        }),
      ),
    );
  }

  // --- flows ----------------------------------------------------------------------------------------

  function pathEdges(flow) {
    const keys = new Set();
    for (let i = 0; i + 1 < flow.path.length; i += 1) {
      keys.add(`${flow.path[i]}->${flow.path[i + 1]}`);
      keys.add(`${flow.path[i + 1]}->${flow.path[i]}`);
    }
    return keys;
  }

  function applyFlow() {
    const root = svg();
    const flow = state.flow ? scene.flows[state.flow] : null;
    root.classList.toggle("flow-active", Boolean(flow));
    for (const item of root.querySelectorAll(".in-flow")) item.classList.remove("in-flow");
    const info = $("#flow-info");
    info.replaceChildren();
    info.hidden = !flow;
    if (!flow) return;
    const members = new Set(flow.path);
    const keys = pathEdges(flow);
    for (const node of root.querySelectorAll(".node")) {
      if (members.has(node.getAttribute("data-component-id"))) node.classList.add("in-flow");
    }
    for (const edge of root.querySelectorAll(".edge")) {
      if (keys.has(edge.getAttribute("data-key"))) edge.classList.add("in-flow");
    }
    const over = flow.budgetMs != null && flow.p99Ms != null && flow.p99Ms > flow.budgetMs;
    info.append(
      el("strong", {}, flow.id),
      el("span", {}, flow.path.join(" → ")),
      el("span", { class: flow.budgetMs == null ? "" : over ? "over" : "ok" }, `p99 ${fmt.ms(flow.p99Ms)}${flow.budgetMs != null ? ` of ${fmt.ms(flow.budgetMs)} budget` : ""}`),
      el("span", {}, flow.rps != null ? fmt.rps(flow.rps) : ""),
      el("span", {}, flow.availability != null ? `availability ${fmt.avail(flow.availability)}` : ""),
    );
  }

  function fillFlows() {
    const picker = $("#flow-picker");
    const current = state.flow;
    picker.replaceChildren(el("option", { value: "" }, "Flows…"));
    for (const id of Object.keys(scene.flows || {})) picker.append(el("option", { value: id }, id));
    picker.disabled = Object.keys(scene.flows || {}).length === 0;
    state.flow = current && scene.flows[current] ? current : "";
    picker.value = state.flow;
  }

  $("#flow-picker").addEventListener("change", (event) => {
    state.flow = event.target.value;
    applyFlow();
  });

  // --- chaos mode -----------------------------------------------------------------------------------

  function setChaos(on) {
    state.chaos = on;
    $("#chaos-toggle").setAttribute("aria-pressed", String(on));
    svg().classList.toggle("chaos", on);
    $("#chaos-bar").hidden = !on;
    if (!on) {
      state.failed.clear();
      state.zones.clear();
      state.result = null;
      paintStates(null, false);
      renderPanel();
    } else {
      renderChaosBar();
    }
  }

  function toggleFailure(id) {
    const had = state.failed.has(id);
    if (had) state.failed.delete(id);
    else state.failed.add(id);
    runChaos(true, () => (had ? state.failed.add(id) : state.failed.delete(id)));
  }

  // ``undo`` takes back the change that asked for this run, when its result cannot be shown.
  function runChaos(animate, undo) {
    const fail = [...state.failed];
    const zones = [...state.zones];
    const ticket = ++state.request;
    if (!fail.length && !zones.length) {
      state.result = null;
      paintStates(null, false);
      renderChaosBar();
      renderPanel();
      return;
    }
    status("computing the cascade…");
    host
      .chaos(fail, zones)
      .then((result) => {
        if (ticket !== state.request) return;
        state.result = result;
        status(host.live ? "live" : "");
        paintStates(result, animate);
        renderChaosBar();
        renderPanel();
      })
      .catch((error) => {
        if (ticket !== state.request) return;
        // Undo exactly the change that asked for what cannot be shown: the picture stays the last one.
        if (undo) undo();
        status(error.message);
        paintStates(state.result, false);
        renderChaosBar();
        renderPanel();
      });
  }

  let timers = [];
  function paintStates(result, animate) {
    timers.forEach(clearTimeout);
    timers = [];
    const root = svg();
    for (const node of root.querySelectorAll(".node")) {
      node.removeAttribute("data-state");
      node.classList.toggle("failed", state.failed.has(node.getAttribute("data-component-id")));
    }
    for (const edge of root.querySelectorAll(".edge")) edge.removeAttribute("data-state");
    root.removeAttribute("data-cascade");
    if (!result) return;
    // Every component has a state in chaos mode; a saved page's results list only those not up.
    for (const node of root.querySelectorAll(".node")) node.setAttribute("data-state", "up");
    const states = new Map(result.components.map((c) => [c.id, c]));
    const steps = new Map();
    for (const c of result.components) {
      const step = c.state === "up" ? 0 : c.step;
      if (!steps.has(step)) steps.set(step, []);
      steps.get(step).push(c);
    }
    const paint = (items) => {
      for (const c of items) {
        const node = root.querySelector(`.node[data-component-id="${CSS.escape(c.id)}"]`);
        if (node) node.setAttribute("data-state", c.state);
      }
      for (const edge of root.querySelectorAll(".edge")) {
        const target = states.get(edge.getAttribute("data-to"));
        const painted = root.querySelector(`.node[data-component-id="${CSS.escape(edge.getAttribute("data-to"))}"]`);
        if (target && target.state !== "up" && painted && painted.getAttribute("data-state") === target.state) edge.setAttribute("data-state", target.state);
      }
    };
    const order = [...steps.keys()].sort((a, b) => a - b);
    const reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (!animate || reduced) {
      order.forEach((step) => paint(steps.get(step)));
      root.setAttribute("data-cascade", "done");
      return;
    }
    order.forEach((step, n) => {
      timers.push(setTimeout(() => paint(steps.get(step)), n * 220));
    });
    timers.push(setTimeout(() => root.setAttribute("data-cascade", "done"), order.length * 220));
  }

  function zoneOptions() {
    const options = [];
    for (const group of scene.groups || []) options.push({ value: `group:${group.id}`, label: `group ${group.id}` });
    // A group that is also a zone (a subnet group placed in one) is offered once, as the group.
    const groups = new Set((scene.groups || []).map((group) => group.id));
    for (const zone of scene.zones || []) if (!groups.has(zone)) options.push({ value: `zone:${zone}`, label: `zone ${zone}` });
    return options;
  }

  function renderChaosBar() {
    const bar = $("#chaos-bar");
    bar.replaceChildren();
    if (!state.chaos) return;
    const failing = [...state.failed, ...[...state.zones].map((z) => `zone ${z}`)];
    bar.append(el("strong", {}, "Chaos mode"));
    bar.append(
      el("span", {}, failing.length ? `failed: ${failing.join(", ")}` : "click components to fail them; Shift-click or right-click shows a component's details"),
    );
    const picker = el("select", { "aria-label": "Fail a group or zone" }, el("option", { value: "" }, "Fail a group or zone…"));
    for (const option of zoneOptions()) picker.append(el("option", { value: option.value }, option.label));
    picker.addEventListener("change", () => {
      const [kind, ...rest] = picker.value.split(":");
      const name = rest.join(":");
      const set = kind === "zone" ? state.zones : state.failed;
      if (!name || set.has(name)) return;
      set.add(name);
      runChaos(true, () => set.delete(name));
    });
    bar.append(picker);
    const result = state.result;
    if (result) {
      bar.append(el("span", { class: "lost" }, `traffic lost ${fmt.pct(result.traffic_lost)}`));
      if (result.flows_broken.length) bar.append(el("span", {}, `broken: ${result.flows_broken.join(", ")}`));
      if (result.flows_degraded.length) bar.append(el("span", {}, `degraded: ${result.flows_degraded.join(", ")}`));
      if (result.availability_after != null) bar.append(el("span", {}, `availability after ${fmt.avail(result.availability_after)}`));
      for (const backlog of result.backlogs || []) {
        bar.append(el("span", {}, `${backlog.broker} backlog +${Math.round(backlog.growth_per_hour).toLocaleString("en-US")}/h`));
      }
    }
    const reset = el("button", { type: "button" }, "Reset");
    reset.addEventListener("click", () => {
      state.failed.clear();
      state.zones.clear();
      runChaos(false);
    });
    bar.append(reset);
  }

  $("#chaos-toggle").addEventListener("click", () => setChaos(!state.chaos));
  $("#fit").addEventListener("click", fit);
  $("#zoom-in").addEventListener("click", () => zoom(1.25));
  $("#zoom-out").addEventListener("click", () => zoom(1 / 1.25));

  // --- live updates -----------------------------------------------------------------------------------

  function renderSummary() {
    const s = scene.summary || {};
    const parts = [];
    if (s.grade) parts.push(`grade ${s.grade}`);
    if (s.costMonthly != null) parts.push(`≈ ${fmt.money(s.costMonthly)}`);
    const counts = s.findings || {};
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    parts.push(`${total} finding${total === 1 ? "" : "s"}`);
    parts.push(`${s.components || 0} components`);
    $("#summary").textContent = parts.join(" · ");
    $("#title").textContent = scene.name;
    document.title = `${scene.name} — archls preview`;
  }

  // The drawing the page shows, by the live server's number (patches apply to it alone).
  let drawing = config.drawing ?? null;

  function parseSvg(markup) {
    const parsed = new DOMParser().parseFromString(markup, "image/svg+xml");
    const root = parsed.documentElement;
    return root.nodeName === "svg" && !root.querySelector("parsererror") ? root : null;
  }

  function replaceWhole(message) {
    const fresh = parseSvg(message.svg);
    if (!fresh) return false;
    const keep = state.view;
    svg().replaceWith(document.importNode(fresh, true));
    const root = svg();
    root.dataset.width = root.getAttribute("width");
    root.dataset.height = root.getAttribute("height");
    if (keep) {
      root.removeAttribute("width");
      root.removeAttribute("height");
      const box = canvas.getBoundingClientRect();
      root.setAttribute("viewBox", `0 0 ${Math.max(box.width, 1)} ${Math.max(box.height, 1)}`);
      state.view = keep;
      applyView();
    } else {
      fit();
    }
    return true;
  }

  // One layer of the drawing (groups, edges or components) brought to the new drawing's elements
  // and order: changed elements are swapped for their new markup, the others stay as they are.
  function patchLayer(layer, attribute, change, fresh) {
    const current = new Map();
    for (const item of layer.children) current.set(item.getAttribute(attribute), item);
    for (const [key, item] of fresh) {
      const old = current.get(key);
      if (old) {
        const focused = old.contains(document.activeElement);
        old.replaceWith(item);
        if (focused) item.focus({ preventScroll: true });
      }
      current.set(key, item);
    }
    if (!change.order) return;
    const wanted = new Set(change.order);
    for (const [key, item] of current) if (!wanted.has(key)) item.remove();
    let cursor = layer.firstElementChild;
    for (const key of change.order) {
      const item = current.get(key);
      if (!item) throw new Error(`the update has no element for ${key}`);
      if (item === cursor) cursor = cursor.nextElementSibling;
      else layer.insertBefore(item, cursor);
    }
  }

  const LAYERS = [
    ["groups", ".groups", "data-group-id"],
    ["edges", ".edges", "data-key"],
    ["nodes", ".nodes", "data-component-id"],
  ];

  function applyPatch(change) {
    const root = svg();
    const markup = [];
    for (const [name] of LAYERS) markup.push(...Object.values(change[name].put));
    const fresh = new Map(LAYERS.map(([name]) => [name, new Map()]));
    if (markup.length) {
      // One parse for every changed element (the server escaped every text in them).
      const parsed = parseSvg(`<svg xmlns="http://www.w3.org/2000/svg">${markup.join("")}</svg>`);
      if (!parsed) return false;
      for (const item of parsed.children) {
        for (const [name, , attribute] of LAYERS) {
          if (item.hasAttribute(attribute)) fresh.get(name).set(item.getAttribute(attribute), document.importNode(item, true));
        }
      }
    }
    for (const [name, selector, attribute] of LAYERS) patchLayer($(selector, root), attribute, change[name], fresh.get(name));
    // Elements whose content did not change but whose place did (most of them when the graph changed).
    for (const item of $(".nodes", root).children) {
      const at = change.nodes.at[item.getAttribute("data-component-id")];
      if (at !== undefined) item.setAttribute("transform", at);
    }
    for (const item of $(".edges", root).children) {
      const route = change.edges.route[item.getAttribute("data-key")];
      if (route === undefined) continue;
      $(".edge-line", item).setAttribute("d", route[0]);
      const label = $(".edge-label-at", item);
      if (label) label.setAttribute("transform", route[1]);
    }
    root.dataset.width = change.width;
    root.dataset.height = change.height;
    const backdrop = $(".backdrop", root);
    backdrop.setAttribute("width", change.width);
    backdrop.setAttribute("height", change.height);
    root.setAttribute("aria-label", change.name);
    $("title", root).textContent = change.name;
    scene = patchScene(scene, change.scene);
    if (!state.view) fit();
    return true;
  }

  function patchScene(old, change) {
    const out = { ...old, ...change.set };
    for (const [field, key] of [["nodes", "id"], ["edges", "key"], ["groups", "id"]]) {
      const had = new Map((old[field] || []).map((item) => [item[key], item]));
      const order = change[field].order || (old[field] || []).map((item) => item[key]);
      out[field] = order.map((id) => change[field].put[id] || had.get(id));
    }
    return out;
  }

  host.onUpdate((message) => {
    const start = performance.now();
    if (message.error) {
      status(message.error);
      return;
    }
    if (message.patch) {
      let applied = false;
      if (message.base === drawing) {
        try {
          applied = applyPatch(message.patch);
        } catch (error) {
          console.warn("archls preview: redrawing whole after", error);
        }
      }
      if (!applied) {
        // Out of step with the server: ask for the whole drawing.
        if (host.resync) host.resync();
        return;
      }
    } else if (message.svg) {
      if (!replaceWhole(message)) return;
      scene = message.scene;
      singles = message.chaos || {};
    } else {
      return;
    }
    drawing = message.drawing ?? null;
    byId = nodesById();
    svg().classList.toggle("chaos", state.chaos);
    for (const id of [...state.failed]) if (!byId.has(id) && !(scene.groups || []).some((g) => g.id === id)) state.failed.delete(id);
    renderSummary();
    fillFlows();
    applyFlow();
    select(state.selected, false); // an update keeps the view where the user left it
    if (state.chaos) runChaos(false);
    document.body.dataset.version = String(message.version ?? "");
    // A changed graph comes first as a sketch of the drawing before, then laid out.
    const settled = scene.settled !== false;
    document.body.dataset.settled = String(settled);
    status(host.live ? (settled ? "live" : "laying out…") : "");
    // How long a redraw takes in the page, and up to the frame that shows it (for the benchmark and
    // the browser's performance panel); the last hundred are kept.
    if (performance.getEntriesByName("archls-repaint").length >= 100) {
      performance.clearMeasures("archls-update");
      performance.clearMeasures("archls-repaint");
    }
    const detail = { version: message.version, settled };
    performance.measure("archls-update", { start, detail });
    requestAnimationFrame(() => setTimeout(() => performance.measure("archls-repaint", { start, detail })));
  });

  // --- start ----------------------------------------------------------------------------------------

  renderSummary();
  fillFlows();
  fit();
  if (typeof ResizeObserver === "function") new ResizeObserver(resized).observe(canvas);
  else window.addEventListener("resize", resized);
  document.body.dataset.ready = "true";
  status(host.live ? "live" : "");
})();
