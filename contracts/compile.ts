import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { glob, runTypeChain } from 'typechain';

/**
 * Compiles `contracts/src/**\/*.sol` with solc-js (pinned by package-lock), caches the result by the sources'
 * hash, and generates typed ethers-v6 bindings (typechain) into `contracts/build/types`. A second run with
 * unchanged sources does nothing.
 */
export const SRC_DIR = path.join(__dirname, 'src');
export const BUILD_DIR = path.join(__dirname, 'build');
const ARTIFACTS = path.join(BUILD_DIR, 'artifacts.json');
const ABI_DIR = path.join(BUILD_DIR, 'abi');
const TYPES_DIR = path.join(BUILD_DIR, 'types');
const NODE_MODULES = path.join(__dirname, '..', 'node_modules');

export interface Artifact {
  contractName: string;
  sourceName: string;
  abi: unknown[];
  bytecode: string;
}

interface ArtifactFile {
  hash: string;
  solc: string;
  artifacts: Record<string, Artifact>;
}

function sourceFiles(dir = SRC_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.sol') ? [full] : [];
  });
}

function sourcesHash(files: string[], solcVersion: string): string {
  const hash = createHash('sha256').update(solcVersion);
  for (const file of [...files].sort()) hash.update(path.relative(SRC_DIR, file)).update(readFileSync(file));
  hash.update(readFileSync(__filename));
  return hash.digest('hex');
}

function findImport(importPath: string): { contents: string } | { error: string } {
  for (const base of [NODE_MODULES, SRC_DIR]) {
    const candidate = path.join(base, importPath);
    if (existsSync(candidate)) return { contents: readFileSync(candidate, 'utf8') };
  }
  return { error: `import not found: ${importPath}` };
}

interface SolcOutput {
  errors?: Array<{ severity: string; formattedMessage: string }>;
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

/** Compiles if the sources changed; returns every artifact by contract name. */
export async function ensureCompiled(options: { quiet?: boolean } = {}): Promise<Record<string, Artifact>> {
  // solc-js is large: load it only when a compilation is needed
  const solcVersion: string = JSON.parse(readFileSync(path.join(NODE_MODULES, 'solc', 'package.json'), 'utf8')).version;
  const files = sourceFiles();
  const hash = sourcesHash(files, solcVersion);
  if (existsSync(ARTIFACTS) && existsSync(TYPES_DIR)) {
    const cached = JSON.parse(readFileSync(ARTIFACTS, 'utf8')) as ArtifactFile;
    if (cached.hash === hash) return cached.artifacts;
  }
  const started = Date.now();
  const solc = require('solc') as { compile(input: string, callbacks: { import: typeof findImport }): string };
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(files.map((f) => [path.relative(SRC_DIR, f), { content: readFileSync(f, 'utf8') }])),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`Solidity compilation failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const artifacts: Record<string, Artifact> = {};
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    if (!files.some((f) => path.relative(SRC_DIR, f) === sourceName)) continue; // only our own sources
    for (const [contractName, c] of Object.entries(contracts)) {
      artifacts[contractName] = { contractName, sourceName, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
    }
  }
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(ABI_DIR, { recursive: true });
  for (const a of Object.values(artifacts)) writeFileSync(path.join(ABI_DIR, `${a.contractName}.json`), JSON.stringify(a.abi));
  const abiFiles = glob(ABI_DIR, ['*.json']);
  await runTypeChain({ cwd: ABI_DIR, filesToProcess: abiFiles, allFiles: abiFiles, outDir: TYPES_DIR, target: 'ethers-v6' });
  writeFileSync(ARTIFACTS, JSON.stringify({ hash, solc: solcVersion, artifacts } satisfies ArtifactFile));
  if (!options.quiet)
    process.stderr.write(
      `compiled ${files.length} Solidity file(s) with solc ${solcVersion} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  return artifacts;
}

/** An artifact by contract name (compiles first if needed). */
export async function artifact(name: string): Promise<Artifact> {
  const all = await ensureCompiled({ quiet: true });
  const found = all[name];
  if (!found) throw new Error(`no compiled contract named ${name} (have: ${Object.keys(all).join(', ')})`);
  return found;
}

if (require.main === module) {
  ensureCompiled().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
