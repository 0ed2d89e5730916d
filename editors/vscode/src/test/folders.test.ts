import { strict as assert } from "node:assert";

import { commandDocument, type FolderSettings, groupFolders, groupIndexFor, groupSelector } from "../folders";
import { DOCUMENT_SELECTOR } from "../selector";

const shop: FolderSettings = { uri: "file:///work/shop", name: "shop" };
const pay: FolderSettings = { uri: "file:///work/pay", name: "pay", python: "/opt/py312/bin/python" };
const billing: FolderSettings = { uri: "file:///work/billing", name: "billing", python: " /opt/py312/bin/python " };
const web: FolderSettings = { uri: "file:///work/web", name: "web", path: "" };

describe("multi-root workspaces", () => {
  it("shares one server among folders with the same archls.path and archls.python", () => {
    const groups = groupFolders([shop, web]);
    assert.equal(groups.length, 1);
    assert.deepEqual(groups[0]!.folders.map((f) => f.name), ["shop", "web"]);
    // One server serves every document archls reads, in the folders or not.
    assert.deepEqual(groupSelector(groups, 0), DOCUMENT_SELECTOR.map((f) => ({ ...f })));
  });

  it("gives each distinct choice its own server, in the order of the folders", () => {
    const groups = groupFolders([shop, pay, web, billing]);
    assert.deepEqual(
      groups.map((g) => [g.python ?? null, g.folders.map((f) => f.name)]),
      [
        [null, ["shop", "web"]],
        ["/opt/py312/bin/python", ["pay", "billing"]],
      ],
    );
  });

  it("limits each server to its folders' files; the first also takes untitled documents", () => {
    const groups = groupFolders([shop, pay]);
    const first = groupSelector(groups, 0);
    const second = groupSelector(groups, 1);
    const files = DOCUMENT_SELECTOR.filter((f) => f.scheme === "file").length;
    assert.equal(second.length, files);
    assert.ok(second.every((f) => typeof f.pattern === "object" && f.pattern.baseUri === pay.uri));
    assert.ok(second.some((f) => typeof f.pattern === "object" && f.pattern.pattern === "**/*.tf"));
    // Language filters without a name pattern cover the whole folder.
    assert.ok(second.some((f) => f.language === "yaml" && typeof f.pattern === "object" && f.pattern.pattern === "**"));
    assert.equal(first.length, files + 1);
    assert.deepEqual(first.at(-1), { scheme: "untitled", language: "yaml" });
    assert.ok(first.slice(0, files).every((f) => typeof f.pattern === "object" && f.pattern.baseUri === shop.uri));
  });

  it("routes a document, a command and the active editor to its folder's server", () => {
    const groups = groupFolders([shop, pay]);
    assert.equal(groupIndexFor(groups, "file:///work/pay/api.arch.yaml"), 1);
    assert.equal(groupIndexFor(groups, "file:///work/shop/shop.arch.yaml"), 0);
    // Not a folder prefix by accident, and outside any folder: the first group.
    assert.equal(groupIndexFor(groups, "file:///work/payments/x.arch.yaml"), 0);
    assert.equal(groupIndexFor(groups, "untitled:Untitled-1"), 0);
    assert.equal(groupIndexFor(groups, undefined), 0);
    assert.equal(commandDocument(["file:///work/pay/api.arch.yaml", { cspSource: "x" }]), "file:///work/pay/api.arch.yaml");
    assert.equal(commandDocument([{ uri: "file:///work/pay/api.arch.yaml", fail: ["db"] }]), "file:///work/pay/api.arch.yaml");
    assert.equal(commandDocument(["ride-hailing", "file:///x"]), undefined);
    assert.equal(commandDocument([]), undefined);
  });

  it("uses the window's settings when no folder is open", () => {
    const groups = groupFolders([], { python: "/usr/bin/python3.12" });
    assert.equal(groups.length, 1);
    assert.equal(groups[0]!.python, "/usr/bin/python3.12");
  });
});
