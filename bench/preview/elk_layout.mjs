// Lays out graphs with ELK's layered algorithm (elkjs) for bench/bench_preview.py and the layout
// tests: reads a JSON list of graphs on stdin, writes a JSON list of {nodes, groups, edges} with
// absolute coordinates on stdout. ELK_PATH names the folder holding node_modules/elkjs.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const require = createRequire(join(resolve(process.env.ELK_PATH ?? process.cwd()), "noop.js"));
const ELK = require("elkjs/lib/elk.bundled.js");
const elk = new ELK();
const graphs = JSON.parse(readFileSync(0, "utf8"));
const options = JSON.parse(process.env.ELK_OPTIONS ?? "{}");

function tree(graph) {
  // Groups become compound nodes holding their members (and nested groups).
  const byId = new Map();
  const root = { id: "root", layoutOptions: {
    "elk.algorithm": "layered",
    "elk.direction": "RIGHT",
    "elk.hierarchyHandling": "INCLUDE_CHILDREN",
    "elk.edgeRouting": "ORTHOGONAL",
    "elk.json.edgeCoords": "ROOT",
    "elk.layered.spacing.nodeNodeBetweenLayers": "110",
    "elk.spacing.nodeNode": "26",
    "elk.padding": "[top=36,left=14,bottom=14,right=14]",
    ...options,
  }, children: [], edges: [] };
  for (const g of graph.groups) byId.set(g.id, { id: `group:${g.id}`, children: [], layoutOptions: { "elk.padding": "[top=36,left=14,bottom=14,right=14]" } });
  for (const g of graph.groups) {
    const parent = g.parent && byId.has(g.parent) ? byId.get(g.parent) : root;
    parent.children.push(byId.get(g.id));
  }
  for (const n of graph.nodes) {
    const parent = n.group && byId.has(n.group) ? byId.get(n.group) : root;
    parent.children.push({ id: n.id, width: n.width, height: n.height });
  }
  graph.edges.forEach((e, i) => root.edges.push({ id: `e${i}`, sources: [e.source], targets: [e.target] }));
  // Empty groups would be laid out as empty boxes: drop them.
  const prune = (node) => {
    if (!node.children) return true;
    node.children = node.children.filter((c) => prune(c));
    return !node.id.startsWith("group:") || node.children.length > 0;
  };
  prune(root);
  return root;
}

const out = [];
for (const graph of graphs) {
  const started = performance.now();
  const laid = await elk.layout(tree(graph));
  const ms = performance.now() - started;
  const nodes = {};
  const groups = {};
  const offsets = new Map([["root", [0, 0]]]);
  const walk = (node, ox, oy) => {
    for (const child of node.children ?? []) {
      const x = ox + child.x;
      const y = oy + child.y;
      offsets.set(child.id, [x, y]);
      if (child.id.startsWith("group:")) groups[child.id.slice(6)] = [x, y, child.width, child.height];
      else nodes[child.id] = [x, y, child.width, child.height];
      walk(child, x, y);
    }
  };
  walk(laid, 0, 0);
  const edges = [];
  const collect = (node) => {
    for (const e of node.edges ?? []) {
      const [ox, oy] = [0, 0]; // edgeCoords ROOT: every section is in the root's coordinates
      for (const s of e.sections ?? []) {
        const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => [ox + p.x, oy + p.y]);
        edges.push(pts);
      }
    }
    for (const child of node.children ?? []) collect(child);
  };
  collect(laid);
  out.push({ nodes, groups, edges, width: laid.width, height: laid.height, ms });
}
process.stdout.write(JSON.stringify(out));
