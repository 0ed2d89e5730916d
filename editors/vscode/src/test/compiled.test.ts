import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { cacheFileOf, loadCompiled } from "../compiled";

describe("the client library's code cache", () => {
  let folder: string;
  const moduleFile = (): string => path.join(folder, "lib.js");

  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), "archls-compiled-"));
    // A module that requires a sibling and a Node module, as the bundled client does.
    writeFileSync(path.join(folder, "sibling.js"), "exports.name = 'sibling';\n");
    writeFileSync(
      moduleFile(),
      "const sibling = require('./sibling');\nconst os = require('node:os');\n" +
        "exports.hello = (who) => `hello ${who} from ${sibling.name} on ${typeof os.platform()}`;\n" +
        "exports.file = __filename;\nexports.dir = __dirname;\n",
    );
  });
  afterEach(() => {
    for (const file of [moduleFile(), path.join(folder, "sibling.js")]) {
      delete require.cache[file];
    }
    rmSync(folder, { recursive: true, force: true });
  });

  it("loads the module as require does, then from the cache it wrote", () => {
    const first = loadCompiled(moduleFile(), module);
    const lib = first.exports as { hello: (who: string) => string; file: string; dir: string };
    assert.equal(lib.hello("you"), "hello you from sibling on string");
    assert.equal(lib.file, moduleFile());
    assert.equal(lib.dir, folder);
    assert.equal(first.cached, false);
    assert.equal(require(moduleFile()), lib, "registered in require's cache");
    first.keep();
    assert.ok(existsSync(cacheFileOf(moduleFile())));
    assert.deepEqual(readdirSync(folder).filter((f) => /\.\d+$/.test(f)), [], "no partial file left");

    delete require.cache[moduleFile()];
    const second = loadCompiled(moduleFile(), module);
    assert.equal(second.cached, true);
    assert.equal((second.exports as typeof lib).hello("again"), "hello again from sibling on string");
  });

  it("compiles as usual when the cache does not fit, and writes one that does", () => {
    writeFileSync(cacheFileOf(moduleFile()), "not a code cache");
    const older = `${moduleFile()}.9.9.9-${process.arch}.v8cache`; // another V8's, read by no one now
    writeFileSync(older, "an older editor's code cache");
    const loaded = loadCompiled(moduleFile(), module);
    assert.equal(loaded.cached, false);
    assert.equal((loaded.exports as { hello: (who: string) => string }).hello("x"), "hello x from sibling on string");
    loaded.keep();
    assert.equal(existsSync(older), false);
    delete require.cache[moduleFile()];
    assert.equal(loadCompiled(moduleFile(), module).cached, true);
  });

  it("names the cache for this V8 and machine, and leaves an unwritable folder alone", () => {
    assert.ok(cacheFileOf("/x/client.js").startsWith(`/x/client.js.${process.versions.v8}`));
    assert.ok(cacheFileOf("/x/client.js").endsWith(`-${process.arch}.v8cache`));
    const loaded = loadCompiled(moduleFile(), module);
    rmSync(folder, { recursive: true, force: true });
    loaded.keep(); // the folder is gone: nothing thrown, nothing written
    assert.equal(existsSync(folder), false);
  });
});
