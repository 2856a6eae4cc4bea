// jsonata-js (the reference implementation, what Step Functions runs) on the
// JSONata benchmark's expressions: each parsed once, then evaluated with
// `$states` bound as Step Functions binds it. Prints JSON: nanoseconds per
// evaluation, by name (`workload` per item of the 10,000).
//
// Run by scripts/bench-jsonata, which installs the `jsonata` package:
//   node bench.mjs <shapes.json> <node_modules dir>
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const [shapesFile, modules] = process.argv.slice(2);
const require = createRequire(join(modules, "x.js"));
const jsonata = require("jsonata");
const spec = JSON.parse(readFileSync(shapesFile, "utf8"));

export function items(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push({
      sku: `SKU-${i}`,
      qty: (i % 7) + 1,
      price: (i % 100) + 0.99,
      tags: ["red", "large", "sale", "new"].slice(0, (i % 4) + 1),
    });
  }
  return out;
}

async function time(expression, inputs, minMillis) {
  const compiled = jsonata(expression);
  const run = async () => {
    for (const input of inputs) {
      await compiled.evaluate({}, { states: { input } });
    }
  };
  await run(); // warm-up
  let rounds = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(minMillis) * 1_000_000n || rounds < 3) {
    await run();
    rounds++;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / rounds / inputs.length;
}

const results = {};
results.workload = await time(spec.workload, items(10_000), 3000);
for (const [name, expression] of Object.entries(spec.shapes)) {
  results[name] = await time(expression, Array(1000).fill(spec.item), 1500);
}
console.log(JSON.stringify(results, null, 2));
