// The client library loaded with V8's code cache. Loading out/client.js (the language client library
// bundled into one file of 1 MB) is most of the extension's own share of a cold start: V8 parses it and
// compiles what runs, 60-70 ms of CPU on an idle machine and twice that while the editor starts beside
// it. A cache of what V8 compiled, written after a first start beside the file (as the bundled server
// keeps its bytecode beside its sources), lets later starts skip most of that. V8 checks the cache
// against its own version, its flags and the source, and compiles as usual when it does not fit; the
// file's name carries V8's version and the machine, so editors of another version never read it.

import Module from "node:module";
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";

/** The code cache of `file` for the running V8 and machine. */
export function cacheFileOf(file: string): string {
  return `${file}.${process.versions.v8.replace(/[^\w.-]/g, "_")}-${process.arch}.v8cache`;
}

export interface Compiled {
  readonly exports: unknown;
  /** Whether V8 took the code cache (false: there was none, or it did not fit). */
  readonly cached: boolean;
  /** Writes the code cache when V8 did not take one: called once the module has run a while, so the
   * cache also holds the functions compiled since it was loaded. Does nothing where it cannot write. */
  keep(): void;
}

/** `file` (a CommonJS module) as `require` loads it for `parent`, compiled with its code cache. The
 * module is registered in require's cache, and its own requires go through `require` as usual (so
 * VS Code gives it its `vscode` module). */
export function loadCompiled(file: string, parent: NodeJS.Module): Compiled {
  const filename = path.resolve(file);
  const known = require.cache[filename];
  if (known) {
    return { exports: known.exports, cached: false, keep: () => undefined };
  }
  const cacheFile = cacheFileOf(filename);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(readFileSync(filename, "utf8")), { filename, cachedData });
  const cached = cachedData !== undefined && !script.cachedDataRejected;
  const module = new Module(filename, parent);
  module.filename = filename;
  module.paths = parent.paths;
  require.cache[filename] = module;
  try {
    const run = script.runInThisContext() as (...args: unknown[]) => void;
    run.call(module.exports, module.exports, (id: string) => module.require(id), module, filename, path.dirname(filename));
  } catch (error) {
    delete require.cache[filename];
    throw error;
  }
  module.loaded = true;
  let kept = cached;
  return {
    exports: module.exports,
    cached,
    keep: () => {
      if (kept) {
        return;
      }
      kept = true;
      const partial = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, cacheFile); // whole or not at all, whichever start writes last
      } catch {
        rmSync(partial, { force: true });
        return;
      }
      // The caches of an editor's earlier V8 are never read again.
      const folder = path.dirname(filename);
      const prefix = `${path.basename(filename)}.`;
      try {
        for (const name of readdirSync(folder)) {
          if (name.startsWith(prefix) && name.endsWith(".v8cache") && path.join(folder, name) !== cacheFile) {
            rmSync(path.join(folder, name), { force: true });
          }
        }
      } catch {
        // one in use elsewhere (Windows) or a folder that became unreadable: left for the next start
      }
    },
  };
}
