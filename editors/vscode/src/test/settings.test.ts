import { strict as assert } from "node:assert";

import { serverSettings } from "../settings";

describe("server settings", () => {
  it("keeps the server's settings and drops the extension's own", () => {
    const all = {
      path: "/usr/bin/archls",
      python: "python3",
      trace: { server: "off" },
      debounceMs: 0,
      select: ["SEC"],
      ignore: [],
      severity: { COST: "info" },
      region: "eu-west-1",
      thresholds: { utilisation: 0.7 },
      inlayHints: false,
      codeLens: true,
      diagnosticMode: "push",
    };
    assert.deepEqual(serverSettings(all), {
      debounceMs: 0,
      select: ["SEC"],
      ignore: [],
      severity: { COST: "info" },
      region: "eu-west-1",
      thresholds: { utilisation: 0.7 },
      inlayHints: false,
      codeLens: true,
      diagnosticMode: "push",
    });
  });

  it("leaves out absent and null values, and survives anything that is not an object", () => {
    assert.deepEqual(serverSettings({ region: null, debounceMs: undefined, codeLens: false }), { codeLens: false });
    assert.deepEqual(serverSettings(null), {});
    assert.deepEqual(serverSettings("archls"), {});
  });
});
