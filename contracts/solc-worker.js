// Runs one solc-js compilation in a worker thread, so that compile.ts compiles its profiles in parallel.
// workerData: { input: string (standard JSON), roots: string[] (where imports are looked up) }.
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
const solc = require('solc');

function findImport(importPath) {
  for (const base of workerData.roots) {
    const candidate = path.join(base, importPath);
    if (existsSync(candidate)) return { contents: readFileSync(candidate, 'utf8') };
  }
  return { error: `import not found: ${importPath}` };
}

parentPort.postMessage(solc.compile(workerData.input, { import: findImport }));
