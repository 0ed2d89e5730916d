import { strict as assert } from "node:assert";

import { explicitServerSettings, type Inspected } from "../settings";

describe("server settings", () => {
  it("sends only what the user set, the folder's value over the workspace's over the user's", () => {
    const inspected: Record<string, Inspected> = {
      select: { globalValue: ["SEC"], workspaceFolderValue: ["REL"] },
      region: { globalValue: "eu-west-1", workspaceValue: "eu-central-1" },
      debounceMs: {},
      ignore: { workspaceValue: [] },
      path: { globalValue: "/usr/bin/archls" },
    };
    // path is the extension's own setting: it never reaches the server.
    assert.deepEqual(explicitServerSettings((key) => inspected[key]), {
      select: ["REL"],
      region: "eu-central-1",
      ignore: [],
    });
  });

  it("sends the assistant's settings as one ai object, without the empty ones", () => {
    const inspected: Record<string, Inspected> = {
      "ai.model": { globalValue: "claude-test" },
      "ai.apiKey": { globalValue: "" },
      "ai.inlineCompletion": { workspaceValue: false },
    };
    assert.deepEqual(explicitServerSettings((key) => inspected[key]), {
      ai: { model: "claude-test", inlineCompletion: false },
    });
  });
});
