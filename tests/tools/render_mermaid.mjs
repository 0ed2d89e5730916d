// Draws Mermaid files to SVG the way mermaid-cli does (its page, its Mermaid bundle, in Chromium),
// with one page for all the files: loading the page is most of mermaid-cli's time per diagram.
// Usage: node render_mermaid.mjs TOOLS_DIR CHROMIUM FILE...; writes FILE.svg beside each file and
// prints one JSON line per file: {"file", "ok", "error"?}. Exits 1 when any file fails.
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

const [tools, chromium, ...files] = process.argv.slice(2);
const modules = join(tools, "node_modules");
const cli = join(modules, "@mermaid-js", "mermaid-cli");
// mermaid-cli's own Mermaid: the one its package resolves, as mermaid-cli loads it.
const mermaidBundle = join(dirname(createRequire(join(cli, "src", "index.js")).resolve("mermaid")), "mermaid.js");
const { default: puppeteer } = await import(pathToFileURL(join(tools, "node_modules/puppeteer/lib/esm/puppeteer/puppeteer.js")).href);

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run"],
});
let failed = 0;
try {
  const page = await browser.newPage();
  await page.goto(pathToFileURL(join(cli, "dist", "index.html")).href);
  await page.addScriptTag({ path: mermaidBundle });
  await page.evaluate(() => globalThis.mermaid.initialize({ startOnLoad: false }));
  for (const [n, file] of files.entries()) {
    const definition = await readFile(file, "utf8");
    const result = await page.$eval("#container", async (container, definition, id) => {
      try {
        const { svg } = await globalThis.mermaid.render(id, definition, container);
        return { svg };
      } catch (err) {
        return { error: String(err?.message || err) };
      }
    }, definition, `diagram${n}`);
    if (result.error || !result.svg.includes("<svg")) {
      failed += 1;
      console.log(JSON.stringify({ file, ok: false, error: (result.error || "no diagram drawn").slice(0, 2000) }));
    } else {
      await writeFile(`${file}.svg`, result.svg);
      console.log(JSON.stringify({ file, ok: true }));
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
