import { strict as assert } from "node:assert";
import * as path from "node:path";

import { ARCH_GLOB, COMPOSE_GLOB, DOCUMENT_SELECTOR, kindOf, TERRAFORM_GLOB } from "../selector";

// VS Code matches selector patterns with its own glob engine; node's is close enough for these shapes.
const matches = (file: string, glob: string): boolean =>
  (path as unknown as { matchesGlob(p: string, g: string): boolean }).matchesGlob(file, glob);

describe("document selector", () => {
  it("names architecture, compose and Terraform files by their names", () => {
    assert.equal(kindOf("/w/shop.arch.yaml"), "arch");
    assert.equal(kindOf("/w/shop.ARCH.yml"), "arch");
    assert.equal(kindOf("/w/architecture.yaml"), "arch");
    assert.equal(kindOf("/w/docker-compose.yml"), "compose");
    assert.equal(kindOf("/w/docker-compose.prod.yaml"), "compose");
    assert.equal(kindOf("/w/compose.yaml"), "compose");
    assert.equal(kindOf("/w/compose.override.yml"), "compose");
    assert.equal(kindOf("C:\\w\\main.tf"), "terraform");
  });

  it("leaves other YAML to the server and other files alone", () => {
    assert.equal(kindOf("/w/k8s/deployment.yaml"), "yaml");
    assert.equal(kindOf("/w/.github/workflows/ci.yml"), "yaml");
    assert.equal(kindOf("/w/architecture.md"), undefined);
    assert.equal(kindOf("/w/main.tf.json"), undefined);
    assert.equal(kindOf("/w/my-compose-notes.yaml"), "yaml");
  });

  it("has globs that agree with the names", () => {
    for (const file of ["/w/shop.arch.yaml", "/w/a/b/shop.arch.yml", "/w/architecture.yaml"]) {
      assert.ok(matches(file, ARCH_GLOB), file);
    }
    for (const file of ["/w/docker-compose.yml", "/w/x/compose.yaml", "/w/docker-compose.dev.yaml", "/w/compose.prod.yml"]) {
      assert.ok(matches(file, COMPOSE_GLOB), file);
    }
    assert.ok(matches("/w/infra/main.tf", TERRAFORM_GLOB));
    for (const file of ["/w/values.yaml", "/w/k8s/deploy.yaml", "/w/shop.arch.yaml.bak"]) {
      assert.ok(![ARCH_GLOB, COMPOSE_GLOB, TERRAFORM_GLOB].some((g) => matches(file, g)), file);
    }
  });

  it("sees YAML only on disk and in untitled editors, never in diff or git views", () => {
    const yaml = DOCUMENT_SELECTOR.filter((f) => f.language === "yaml");
    assert.deepEqual(yaml.map((f) => f.scheme).sort(), ["file", "untitled"]);
    assert.ok(DOCUMENT_SELECTOR.every((f) => f.scheme === "file" || f.scheme === "untitled"));
  });

  it("covers compose and Terraform under their VS Code language ids too", () => {
    const languages = DOCUMENT_SELECTOR.map((f) => f.language).filter(Boolean);
    assert.ok(languages.includes("dockercompose"));
    assert.ok(languages.includes("terraform"));
  });
});
