import { strict as assert } from "node:assert";

import {
  exportArguments,
  money,
  newFromSpecArguments,
  parseSpecs,
  parseSummary,
  parseTargets,
  scaffoldArguments,
  generateArguments,
  generatedFileName,
  parseGenerated,
  statusText,
  writtenFiles,
  writtenFolder,
} from "../commands";

describe("server commands", () => {
  it("builds export and scaffold arguments, leaving the folder to the server unless chosen", () => {
    assert.deepEqual(exportArguments("file:///w/shop.arch.yaml", "terraform"), ["file:///w/shop.arch.yaml", "terraform"]);
    assert.deepEqual(exportArguments("file:///w/shop.arch.yaml", "all", "file:///w/out"), [
      "file:///w/shop.arch.yaml",
      "all",
      "file:///w/out",
    ]);
    assert.deepEqual(scaffoldArguments("file:///w/a.arch.yaml"), ["file:///w/a.arch.yaml"]);
    assert.deepEqual(scaffoldArguments("file:///w/a.arch.yaml", "file:///r"), ["file:///w/a.arch.yaml", "file:///r"]);
  });

  it("builds generate arguments and a file name from the description", () => {
    assert.deepEqual(generateArguments("a chat app"), [{ description: "a chat app" }]);
    assert.deepEqual(generateArguments("a chat app", "file:///w/chat.arch.yaml"), [
      { description: "a chat app", output: "file:///w/chat.arch.yaml" },
    ]);
    assert.equal(generatedFileName("A ride-sharing app like Uber: 100K riders"), "ride-sharing-app-uber.arch.yaml");
    assert.equal(generatedFileName("!!!"), "architecture.arch.yaml");
    assert.deepEqual(parseGenerated({ text: "name: x\n", backend: "offline", grade: "A (98/100)", outputUri: "file:///w/x.arch.yaml" }), {
      text: "name: x\n",
      uri: "file:///w/x.arch.yaml",
      summary: "generated with the offline backend, grade A (98/100)",
    });
    assert.equal(parseGenerated({ backend: "offline" }), undefined);
  });

  it("reads the export targets in the shapes a server may answer", () => {
    assert.deepEqual(parseTargets(["terraform", "k8s", "all"]), [{ id: "terraform" }, { id: "k8s" }]);
    assert.deepEqual(parseTargets([{ id: "helm", description: "Helm chart" }, { name: "mermaid" }, 7, null]), [
      { id: "helm", description: "Helm chart" },
      { id: "mermaid" },
    ]);
    assert.deepEqual(parseTargets({ targets: ["compose"] }), [{ id: "compose" }]);
    assert.deepEqual(parseTargets(undefined), []);
  });

  it("reads what an export wrote", () => {
    assert.deepEqual(writtenFiles(["/o/main.tf", "/o/variables.tf"]), ["/o/main.tf", "/o/variables.tf"]);
    assert.deepEqual(writtenFiles({ files: [{ path: "/o/a" }, { uri: "file:///o/b" }, 3], folder: "/o" }), ["/o/a", "file:///o/b"]);
    assert.equal(writtenFolder({ files: [], folder: "/o" }), "/o");
    assert.equal(writtenFolder(["/o/a"]), undefined);
    assert.deepEqual(writtenFiles(null), []);
  });

  it("shows the grade and the monthly cost in the status bar", () => {
    assert.equal(statusText({ grade: "B", costMonthly: 1234.4 }), "$(pulse) archls B · ≈ $1,234/mo");
    assert.equal(statusText({ grade: "A" }), "$(pulse) archls A");
    assert.equal(money(0.42), "$0.42/mo");
    assert.deepEqual(parseSummary({ grade: "C", costMonthly: 10, findings: 3 }), { grade: "C", costMonthly: 10 });
    assert.equal(parseSummary({ costMonthly: "a lot" }), undefined);
    assert.equal(parseSummary(null), undefined);
  });

  it("reads the spec library for the New from spec quick pick", () => {
    assert.deepEqual(
      parseSpecs([
        { name: "ride-hailing", title: "Ride hailing", summary: "Match riders", tags: ["geospatial", 3] },
        { title: "no name" },
        "url-shortener",
      ]),
      [{ name: "ride-hailing", title: "Ride hailing", summary: "Match riders", tags: ["geospatial"] }],
    );
    assert.deepEqual(parseSpecs({ specs: [] }), []);
    assert.deepEqual(newFromSpecArguments("chat", "file:///w/chat.arch.yaml"), ["chat", "file:///w/chat.arch.yaml"]);
  });
});
