// End-to-end run of the packaged extension in a real VS Code: code-server serves the workbench,
// Debian's Chromium shows it through playwright-core, and every step is done as a user would
// (quick open, the light bulb, the command palette). One VS Code session for all steps.
//
// Usage: node e2e/run.mjs CONFIG.json
// The config (written by tests/editors/test_vscode.py) names code-server, the .vsix, the workspace,
// the artifacts folder and the steps with what to expect; steps the server cannot do yet carry a
// `skip` reason and are not run. The results go to config.results as JSON, one entry per step:
// {status: "passed" | "failed" | "skipped", detail, screenshot}.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { chromium } from "playwright-core";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = {};
const log = (...args) => console.log(`[e2e ${new Date().toISOString().slice(11, 19)}]`, ...args);
mkdirSync(config.artifacts, { recursive: true });

function save() {
  writeFileSync(config.results, JSON.stringify(results, null, 2));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeout = 30000, every = 250) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) {
        return last;
      }
    } catch (error) {
      last = error;
    }
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
}

// --- code-server ------------------------------------------------------------------------------

const home = config.home;
const env = {
  // A private home, and a PATH without the developer's shims: the extension must find the bundled
  // server's Python (Debian's python3.11) on its own, as it would on a user's machine.
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: join(home, "home"),
  XDG_CONFIG_HOME: join(home, "config"),
  XDG_DATA_HOME: join(home, "data"),
  XDG_CACHE_HOME: join(home, "cache"),
  TMPDIR: join(home, "tmp"),
  LANG: "C.UTF-8",
  // The assistant's endpoint and key, when the test provides a stand-in model on 127.0.0.1.
  ...(config.env ?? {}),
};
for (const dir of [env.HOME, env.XDG_CONFIG_HOME, env.XDG_DATA_HOME, env.XDG_CACHE_HOME, env.TMPDIR]) {
  mkdirSync(dir, { recursive: true });
}
const userData = join(home, "user-data");
const extensions = join(home, "extensions");
mkdirSync(join(userData, "User"), { recursive: true });
writeFileSync(
  join(userData, "User", "settings.json"),
  JSON.stringify(
    {
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "extensions.ignoreRecommendations": true,
      "extensions.autoCheckUpdates": false,
      "security.workspace.trust.enabled": false,
      "telemetry.telemetryLevel": "off",
      "editor.minimap.enabled": false,
      // The steps read the rendered rows and their text: code lenses add rows, inlay hints add text.
      "editor.codeLens": false,
      "editor.inlayHints.enabled": "off",
      "editor.lightbulb.enabled": "on",
      "files.autoSave": "off",
      "window.restoreWindows": "none",
      "chat.disableAIFeatures": true,
      ...config.userSettings,
    },
    null,
    2,
  ),
);

const installed = spawnSync(config.codeServer, ["--extensions-dir", extensions, "--install-extension", config.vsix], {
  env,
  encoding: "utf8",
  timeout: 120000,
});
if (installed.status !== 0) {
  results.install = { status: "failed", detail: `${installed.stdout}\n${installed.stderr}` };
  save();
  process.exit(1);
}
results.install = { status: "passed", detail: installed.stdout.trim().split("\n").pop() };
log("installed", config.vsix);

const port = await freePort();
const serverLog = [];
const codeServer = spawn(
  config.codeServer,
  [
    "--auth", "none",
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    "--user-data-dir", userData,
    "--extensions-dir", extensions,
    "--bind-addr", `127.0.0.1:${port}`,
    config.workspace,
  ],
  { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
);
codeServer.stdout.on("data", (d) => serverLog.push(String(d)));
codeServer.stderr.on("data", (d) => serverLog.push(String(d)));

let browser;
function shutdown() {
  try {
    process.kill(-codeServer.pid, "SIGTERM"); // code-server, its extension host and the language server
  } catch {}
  setTimeout(() => {
    try {
      process.kill(-codeServer.pid, "SIGKILL");
    } catch {}
  }, 2000).unref();
}
process.on("exit", shutdown);

// --- the steps --------------------------------------------------------------------------------

let page;
let shot = 0;

async function screenshot(name) {
  shot += 1;
  const file = join(config.artifacts, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

async function step(name, fn) {
  const spec = config.steps[name];
  if (!spec) {
    return;
  }
  if (spec.skip) {
    results[name] = { status: "skipped", detail: spec.skip };
    save();
    return;
  }
  log("step", name);
  try {
    // A step returns its detail, or an object with its detail and figures to keep beside it.
    const out = await fn(spec);
    const extra = typeof out === "object" && out !== null ? out : { detail: out };
    results[name] = { status: "passed", ...extra, screenshot: await screenshot(name) };
  } catch (error) {
    let file;
    try {
      file = await screenshot(`${name}-failed`);
    } catch {}
    results[name] = { status: "failed", detail: String(error?.stack ?? error), screenshot: file };
  }
  save();
}

const lineHeight = () => page.evaluate(() => document.querySelector(".monaco-editor .view-lines .view-line")?.getBoundingClientRect().height ?? 19);

/** The 1-based lines of the active editor holding squiggles of the given kinds. */
async function squiggleLines(kinds = ["error", "warning"]) {
  const height = await lineHeight();
  return page.evaluate(
    ({ kinds, height }) => {
      const editor = document.querySelector(".editor-group-container.active .monaco-editor");
      if (!editor) return [];
      const selector = kinds.map((k) => `.view-overlays .squiggly-${k}`).join(",");
      const lines = new Set();
      for (const el of editor.querySelectorAll(selector)) {
        const row = el.parentElement;
        const top = parseFloat(row?.style.top ?? "NaN");
        if (!Number.isNaN(top)) lines.add(Math.round(top / height) + 1);
      }
      return [...lines].sort((a, b) => a - b);
    },
    { kinds, height },
  );
}

/** The text of the active editor, as shown (the file is short enough to be all visible). */
async function editorText() {
  const height = await lineHeight();
  return page.evaluate((height) => {
    const rows = [...document.querySelectorAll(".editor-group-container.active .monaco-editor .view-lines .view-line")];
    rows.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    const out = [];
    for (const row of rows) out[Math.round(parseFloat(row.style.top) / height)] = row.textContent.replace(/\u00a0/g, " ");
    return Array.from(out, (line) => line ?? "").join("\n");
  }, height);
}

/**
 * Opens a file with quick open and waits for squiggles on exactly `spec.lines`, timed inside the page:
 * a MutationObserver notes when the file's tab becomes active and when the squiggles are drawn (no
 * polling from here, which would take CPU from what is measured). Times in ms since the epoch.
 */
async function timedOpen(spec) {
  await quickOpen(spec.file);
  await page.evaluate(
    ({ name, want, timeout }) => {
      window.__archlsTimes = new Promise((resolve, reject) => {
        let opened;
        let seen = "[]";
        // Cheap enough not to slow what it measures: once per frame at most, and no layout (the
        // editor's rows carry their top and height in their style).
        const lines = () => {
          const editor = document.querySelector(".editor-group-container.active .monaco-editor");
          const marks = editor?.querySelectorAll(".view-overlays .squiggly-error, .view-overlays .squiggly-warning") ?? [];
          if (marks.length === 0) return "[]";
          const height = parseFloat(editor.querySelector(".view-lines .view-line")?.style.height ?? "") || 19;
          const found = new Set();
          for (const el of marks) {
            const top = parseFloat(el.parentElement?.style.top ?? "NaN");
            if (!Number.isNaN(top)) found.add(Math.round(top / height) + 1);
          }
          return JSON.stringify([...found].sort((a, b) => a - b));
        };
        let queued = false;
        const check = () => {
          queued = false;
          if (opened === undefined && document.querySelector(".tab.active")?.getAttribute("aria-label")?.includes(name)) {
            opened = Date.now();
          }
          if (opened !== undefined && (seen = lines()) === want) {
            observer.disconnect();
            resolve({ opened, drawn: Date.now() });
          }
        };
        const observer = new MutationObserver(() => {
          if (!queued) {
            queued = true;
            requestAnimationFrame(check);
          }
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true });
        setTimeout(() => {
          observer.disconnect();
          reject(new Error(`no squiggles on lines ${want} of ${name} in ${timeout} ms; seen on lines ${seen}`));
        }, timeout);
      });
    },
    { name: spec.file, want: JSON.stringify(spec.lines), timeout: spec.timeout ?? 60000 },
  );
  const entered = Date.now();
  await page.keyboard.press("Enter");
  const { opened, drawn } = await page.evaluate(() => window.__archlsTimes);
  return { entered, opened, drawn };
}

/** Closes the window and opens another on `query` (`folder=...` or `workspace=...`), up to its workbench. */
async function newWindow(query) {
  await page.close();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?${query}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
}

/** Quick open with the file's row focused, ready for Enter. */
async function quickOpen(name) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(name);
  await focusRow(name.split("/").pop());
}

// The extension hosts' log folders (user-data/logs/SESSION/exthostN), one per window opened.
function extensionHosts() {
  const logs = join(userData, "logs");
  const out = [];
  for (const session of readdirSync(logs, { withFileTypes: true })) {
    if (session.isDirectory()) {
      for (const entry of readdirSync(join(logs, session.name))) {
        if (entry.startsWith("exthost")) {
          out.push(join(logs, session.name, entry));
        }
      }
    }
  }
  return out;
}

function readText(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Opens a file with quick open; returns when Enter was pressed and when its tab became active (ms). */
async function openFile(name) {
  // Close whatever has the keyboard (a notification, a menu), then quick open as a user would.
  await quickOpen(name);
  const entered = Date.now();
  await page.keyboard.press("Enter");
  await until(
    `${name} in the editor`,
    async () => page.evaluate((n) => document.querySelector(".tab.active")?.getAttribute("aria-label")?.includes(n) ?? false, name),
    30000,
    10,
  );
  const opened = Date.now();
  await page.locator(".editor-group-container.active .monaco-editor .view-lines").waitFor();
  return { entered, opened };
}

async function expectSquiggles(spec) {
  const want = JSON.stringify(spec.lines);
  let seen = [];
  await until(
    `squiggles on lines ${want} of ${spec.file}`,
    async () => {
      seen = await squiggleLines();
      return JSON.stringify(seen) === want;
    },
    spec.timeout ?? 60000,
    spec.every ?? 250,
  ).catch((error) => {
    throw new Error(`${error.message}; seen on lines ${JSON.stringify(seen)}`);
  });
  return `squiggles on lines ${want}`;
}

/** Moves the quick input's focus to the row labelled exactly `label`, as a user would with the arrows. */
async function focusRow(label) {
  const focusedLabel = () =>
    page.evaluate(() => document.querySelector(".quick-input-list .monaco-list-row.focused .label-name")?.textContent?.trim() ?? "");
  await until(`"${label}" in the list`, async () => (await page.locator(".quick-input-list .monaco-list-row", { hasText: label }).count()) > 0, 15000);
  for (let i = 0; i < 30; i += 1) {
    if ((await focusedLabel()) === label) {
      return;
    }
    await page.keyboard.press("ArrowDown");
  }
  throw new Error(`could not move to "${label}" (focused: "${await focusedLabel()}")`);
}

async function runCommand(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  await focusRow(title);
  await page.keyboard.press("Enter");
}

try {
  await until("code-server to listen", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    return res?.ok;
  }, 60000);
  browser = await chromium.launch({
    executablePath: config.chromium,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const navigated = Date.now();
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(config.workspace)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
  const shown = Date.now();
  await page.locator(".explorer-folders-view, .explorer-viewlet").first().waitFor({ timeout: 60000 }).catch(() => undefined);
  await sleep(1000);
  results.workbench = { status: "passed", times: { navigated, shown }, screenshot: await screenshot("workbench") };
  save();

  await step("diagnostics", async (spec) => {
    // The cold start: from the file's tab showing to its first squiggle drawn.
    const { entered, opened, drawn } = await timedOpen(spec);
    return { detail: `squiggles on lines ${JSON.stringify(spec.lines)}, ${drawn - opened} ms after the file was opened`, times: { entered, opened, drawn } };
  });

  await step("status", async (spec) => {
    const item = page.locator(".statusbar-item", { hasText: "archls" }).first();
    await item.waitFor({ state: "visible", timeout: 30000 });
    const text = (await item.textContent())?.trim() ?? "";
    if (!new RegExp(spec.pattern).test(text)) {
      throw new Error(`status bar shows "${text}", expected ${spec.pattern}`);
    }
    return text;
  });

  await step("quickfix", async (spec) => {
    await openFile(spec.file);
    await expectSquiggles({ file: spec.file, lines: spec.before });
    const before = await editorText();
    // Put the cursor on the flagged text, then open the light bulb as a user would.
    const height = await lineHeight();
    const spot = await page.evaluate(
      ({ line, height }) => {
        const editor = document.querySelector(".editor-group-container.active .monaco-editor");
        for (const el of editor?.querySelectorAll(".view-overlays .squiggly-error, .view-overlays .squiggly-warning") ?? []) {
          if (Math.round(parseFloat(el.parentElement?.style.top ?? "NaN") / height) + 1 === line) {
            const r = el.getBoundingClientRect();
            return { x: r.x + Math.min(r.width / 2, 20), y: r.y + r.height / 2 };
          }
        }
        return undefined;
      },
      { line: spec.line, height },
    );
    if (!spot) {
      throw new Error(`no squiggle on line ${spec.line}`);
    }
    await page.mouse.click(spot.x, spot.y);
    const bulb = page.locator(".lightBulbWidget .codicon, .lightBulbWidget").first();
    let how = "light bulb";
    try {
      await bulb.waitFor({ state: "visible", timeout: 10000 });
      await screenshot("quickfix-lightbulb");
      await bulb.click();
    } catch {
      how = "Ctrl+.";
      await page.keyboard.press("Control+.");
    }
    const menu = page.locator(".action-widget");
    await menu.waitFor({ state: "visible", timeout: 15000 });
    const items = page.locator(".action-widget .monaco-list-row.action");
    await until("code actions", async () => (await items.count()) > 0, 15000);
    const titles = await items.allTextContents();
    const wanted = items.filter({ hasText: spec.title }).first();
    if ((await wanted.count()) === 0) {
      throw new Error(`no code action titled "${spec.title}"; offered: ${JSON.stringify(titles)}`);
    }
    await screenshot("quickfix-menu");
    // The menu takes the keyboard (a pointer block covers the rest): move to the fix, then Enter.
    for (let i = 0; i <= titles.length; i += 1) {
      const focused = (await page.locator(".action-widget .monaco-list-row.focused").getAttribute("aria-label").catch(() => "")) ?? "";
      if (focused.includes(spec.title)) {
        break;
      }
      await page.keyboard.press("ArrowDown");
    }
    await page.keyboard.press("Enter");
    await until("the edit", async () => (await editorText()) !== before, 15000);
    await expectSquiggles({ file: spec.file, lines: spec.after });
    const after = await editorText();
    if (spec.gone && after.includes(spec.gone)) {
      throw new Error(`the text still holds "${spec.gone}"`);
    }
    await page.keyboard.press("Control+S");
    return `applied "${spec.title}" from the ${how}; offered ${JSON.stringify(titles)}`;
  });

  await step("settings", async (spec) => {
    await openFile(spec.file);
    mkdirSync(join(config.workspace, ".vscode"), { recursive: true });
    writeFileSync(join(config.workspace, ".vscode", "settings.json"), JSON.stringify(spec.settings, null, 2));
    try {
      return await expectSquiggles(spec);
    } finally {
      rmSync(join(config.workspace, ".vscode"), { recursive: true, force: true });
    }
  });

  await step("restart", async (spec) => {
    await openFile(spec.file);
    // The previous step removed its folder settings; let that reach the server before restarting,
    // or the new server may start from the settings the old one had.
    await expectSquiggles(spec);
    await runCommand("archls: Restart server");
    await runCommand("archls: Show output");
    // The panel shows the output's last lines (the new start among them); the log file holds them all.
    const starts = () =>
      readdirSync(join(userData, "logs"), { recursive: true })
        .filter((name) => String(name).endsWith(join("archls.archls", "archls.log")))
        .map((name) => readFileSync(join(userData, "logs", String(name)), "utf8").match(/starting the server/g)?.length ?? 0)
        .reduce((a, b) => a + b, 0);
    const shown = () => page.evaluate(() => /starting\sthe\sserver/.test(document.querySelector(".part.panel")?.textContent ?? ""));
    await until("a second server start in the archls output", async () => starts() >= 2 && (await shown()), 30000);
    await expectSquiggles(spec);
    return `the archls output shows the server's ${starts()} starts`;
  });

  await step("export", async (spec) => {
    await openFile(spec.file);
    const listing = (dir) => {
      const out = [];
      const walk = (d) => {
        for (const name of readdirSync(d)) {
          const full = join(d, name);
          if (statSync(full).isDirectory()) walk(full);
          else out.push(relative(config.workspace, full));
        }
      };
      walk(dir);
      return out;
    };
    const before = new Set(listing(config.workspace));
    await runCommand("archls: Export...");
    // The target, then the output folder (the default: beside the architecture file).
    const input = page.locator(".quick-input-widget input");
    // Wait for the target picker itself: rows of the closing command palette must not take the Enter.
    await until(
      "the export targets",
      async () =>
        (await page.locator(".quick-input-widget .quick-input-title", { hasText: "archls: export to" }).count()) > 0 &&
        (await page.locator(".quick-input-list .monaco-list-row", { hasText: "kubernetes" }).count()) > 0,
      30000,
    );
    if (spec.target) {
      await input.fill(spec.target);
      await sleep(300);
    }
    await screenshot("export-targets");
    await page.keyboard.press("Enter");
    await focusRow("Default folder");
    await screenshot("export-folder");
    await page.keyboard.press("Enter");
    const written = await until(
      "exported files",
      async () => {
        const now = listing(config.workspace).filter((f) => !before.has(f));
        return now.length > 0 && (await page.locator(".notification-toast", { hasText: "archls: exported" }).count()) > 0 ? now : undefined;
      },
      60000,
    );
    return `wrote ${written.length} files: ${written.slice(0, 8).join(", ")}`;
  });

  await step("preview", async (spec) => {
    await openFile(spec.file);
    await runCommand("archls: Open Preview to the Side");
    // The webview's page lives in nested frames; find the one holding the diagram.
    const diagram = async () => {
      for (const frame of page.frames()) {
        try {
          if ((await frame.locator(".archls-diagram .node").count()) > 0) {
            return frame;
          }
        } catch {}
      }
      return undefined;
    };
    let frame = await until("the preview's diagram", diagram, 60000);
    const ids = await frame.locator(".node").evaluateAll((els) => els.map((e) => e.getAttribute("data-component-id")).sort());
    if (JSON.stringify(ids) !== JSON.stringify([...spec.components].sort())) {
      throw new Error(`the preview shows ${JSON.stringify(ids)}, expected ${JSON.stringify(spec.components)}`);
    }
    await screenshot("preview-opened");
    // Edit the file in the editor (unsaved): the preview redraws.
    await page.keyboard.press("Control+G");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible" });
    await input.fill(`:${spec.edit.line}`);
    await page.keyboard.press("Enter");
    await page.keyboard.press("End");
    for (let i = 0; i < spec.edit.from.length; i += 1) {
      await page.keyboard.press("Backspace");
    }
    await page.keyboard.type(spec.edit.to);
    const subtitle = `.node[data-component-id="${spec.edit.component}"] .node-sub`;
    let seen = "";
    await until(
      "the preview to redraw after the edit",
      async () => {
        frame = (await diagram()) ?? frame;
        seen = (await frame.locator(subtitle).textContent().catch(() => "")) ?? "";
        return seen.includes(spec.edit.expect);
      },
      30000,
    ).catch((error) => {
      throw new Error(`${error.message}; the component shows "${seen}"`);
    });
    await page.keyboard.press("Control+Z");
    // "Go to source" in a component's panel: the editor beside selects the component's key.
    frame = (await diagram()) ?? frame;
    await frame.locator(`.node[data-component-id="${spec.reveal.component}"]`).click();
    await frame.locator('button[data-action="source"]').click();
    let cursor = "";
    await until(
      "the editor to select the component",
      async () => {
        cursor = (await page.locator(".statusbar-item", { hasText: /Ln \d+, Col \d+/ }).first().textContent().catch(() => "")) ?? "";
        // The selection covers the key; the cursor stands at its end.
        const { line, column, component } = spec.reveal;
        return cursor.includes(`Ln ${line}, Col ${column + component.length} (${component.length} selected)`);
      },
      15000,
    ).catch((error) => {
      throw new Error(`${error.message}; the status bar says "${cursor.trim()}"`);
    });
    // The preview follows the active editor to another architecture file.
    await openFile(spec.follow.file);
    let followed = [];
    await until(
      "the preview to follow the active file",
      async () => {
        frame = (await diagram()) ?? frame;
        followed = await frame
          .locator(".node")
          .evaluateAll((els) => els.map((e) => e.getAttribute("data-component-id")).sort())
          .catch(() => []);
        return JSON.stringify(followed) === JSON.stringify([...spec.follow.components].sort());
      },
      30000,
    ).catch((error) => {
      throw new Error(`${error.message}; it shows ${JSON.stringify(followed)}`);
    });
    await screenshot("preview-followed");
    return (
      `the preview shows ${ids.length} components, redrew "${seen}" after the edit, ` +
      `went to ${spec.reveal.component}'s line (${cursor.trim()}) and followed ${spec.follow.file}`
    );
  });

  // A new, empty line after line `spec.line` of `spec.file`, indented with `spec.indent`.
  async function newLineAfter(spec) {
    await openFile(spec.file);
    await page.keyboard.press("Control+G");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible" });
    await input.fill(`:${spec.line}`);
    await page.keyboard.press("Enter");
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Shift+Home");
    await page.keyboard.press("Backspace");
    await page.keyboard.type(spec.indent);
  }

  await step("ghost", async (spec) => {
    // A new line in the components, at their indentation: the server's inline completion shows
    // the next component as ghost text.
    await newLineAfter(spec);
    let seen = "";
    await until(
      "ghost text",
      async () => {
        seen = await page.evaluate(() =>
          [...document.querySelectorAll(".editor-group-container.active .monaco-editor [class*='ghost-text']")]
            .map((el) => el.textContent.replace(/\u00a0/g, " "))
            .join(""),
        );
        return spec.expect.every((part) => seen.includes(part));
      },
      30000,
    ).catch((error) => {
      throw new Error(`${error.message}; seen ${JSON.stringify(seen)}`);
    });
    await screenshot("ghost-text");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+Z");
    await page.keyboard.press("Control+Z");
    return `ghost text: ${JSON.stringify(seen.slice(0, 120))}`;
  });

  await step("suggest", async (spec) => {
    // The assistant's offline suggestions in the ordinary completion list: a new line in the
    // components, Ctrl+Space, the first item labelled "suggested", Enter; its block lands in the file.
    await newLineAfter(spec);
    const before = await editorText();
    await page.keyboard.press("Control+Space");
    const focused = page.locator(".editor-widget.suggest-widget .monaco-list-row.focused").first();
    await focused.waitFor({ state: "visible", timeout: 20000 });
    // The suggestions sort after the schema's keys: up from the first item wraps round to them.
    let label = "";
    for (let i = 0; i < 40 && !label; i += 1) {
      await page.keyboard.press("ArrowUp");
      if (((await focused.textContent()) ?? "").includes("suggested")) {
        label = ((await focused.locator(".label-name").first().textContent()) ?? "").trim();
      }
    }
    if (!label) {
      throw new Error("no item labelled \"suggested\" in the completion list");
    }
    await screenshot("suggest-widget");
    await page.keyboard.press("Enter");
    let after = "";
    await until(`the "${label}" block in the file`, async () => {
      after = await editorText();
      return after !== before && after.includes(`\n  ${label}:\n    type: `);
    }, 15000).catch((error) => {
      throw new Error(`${error.message}; the file reads ${JSON.stringify(after.slice(0, 400))}`);
    });
    const block = after.split("\n").slice(spec.line, spec.line + 4).join("\n");
    for (let i = 0; i < 3; i += 1) {
      await page.keyboard.press("Control+Z");
    }
    return { detail: `picked "${label}" (suggested): ${JSON.stringify(block)}`, label, block };
  });

  await step("compose", async (spec) => {
    await openFile(spec.file);
    return expectSquiggles(spec);
  });

  await step("multiroot", async (spec) => {
    // A multi-root workspace whose second folder names its own interpreter (archls.python in its
    // .vscode/settings.json): a new window gets one server per folder group, and that folder's file
    // its squiggles and status item from its own server.
    await newWindow(`workspace=${encodeURIComponent(spec.workspaceFile)}`);
    // The workbench can show before the workspace's folders are in (the explorer then says "no
    // folder opened" and quick open finds nothing): wait for the second folder's row.
    await until(
      "the workspace's folders in the explorer",
      async () => (await page.locator(".explorer-viewlet .monaco-list-row", { hasText: "other" }).count()) > 0,
      60000,
    );
    await sleep(1000);
    await openFile(spec.file);
    const seen = await expectSquiggles(spec);
    const item = page.locator(".statusbar-item", { hasText: "archls" }).first();
    await item.waitFor({ state: "visible", timeout: 30000 });
    const text = (await item.textContent())?.trim() ?? "";
    if (text.includes("stopped")) {
      throw new Error(`a server stopped: status bar "${text}"`);
    }
    return `${seen}; status bar "${text}"`;
  });

  await step("ready", async (spec) => {
    // The server's cold start in a window that has finished starting (its extension host has
    // activated Git and the other eager extensions): a folder with nothing that starts archls with the
    // window (Kubernetes manifests), then a manifest opened as a user would, from its tab showing to its
    // squiggles.
    const known = new Set(extensionHosts());
    await newWindow(`folder=${encodeURIComponent(spec.folder)}`);
    const host = await until(
      "the new window's extension host to settle",
      () =>
        extensionHosts().find(
          (dir) => !known.has(dir) && readText(join(dir, "remoteexthost.log")).includes("Eager extensions activated"),
        ),
      60000,
      50,
    );
    await sleep(1000);
    if (readText(join(host, "archls.archls", "archls.log"))) {
      throw new Error("archls started before the file was opened: not a cold start");
    }
    const { entered, opened, drawn } = await timedOpen(spec);
    const detail = `squiggles on lines ${JSON.stringify(spec.lines)}, ${drawn - opened} ms after the file was opened`;
    return { detail, times: { entered, opened, drawn }, host };
  });
} catch (error) {
  results.session = { status: "failed", detail: String(error?.stack ?? error) };
  try {
    await screenshot("session-failed");
  } catch {}
} finally {
  writeFileSync(join(config.artifacts, "code-server.log"), serverLog.join(""));
  save();
  await browser?.close().catch(() => undefined);
  shutdown();
}
