import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
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
  hash.update(readFileSync(__filename)).update(readFileSync(path.join(__dirname, 'solc-worker.js')));
  return hash.digest('hex');
}

/**
 * The hot paths (publication, batches, epochs, proofs, `scoreOf`) are compiled through the IR pipeline with the
 * optimizer tuned for many runs: it inlines the per-asset work and saves ~20 % of the gas the gas goals measure
 * (see contracts/GAS.md). Everything else uses the legacy pipeline, which compiles much faster.
 */
const HOT_SOURCES = ['RiskOracle.sol', 'CreditScoreRegistry.sol'];

interface Profile {
  sources: string[];
  viaIR: boolean;
  runs: number;
}

interface SolcOutput {
  errors?: Array<{ severity: string; formattedMessage: string }>;
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

/** solc-js in a worker thread (the profiles compile in parallel). */
function runSolc(input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'solc-worker.js'), { workerData: { input, roots: [NODE_MODULES, SRC_DIR] } });
    worker.once('message', (output: string) => resolve(output));
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`solc worker exited with ${code}`))));
  });
}

async function compileProfile(profile: Profile): Promise<Record<string, Artifact>> {
  if (profile.sources.length === 0) return {};
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(profile.sources.map((f) => [f, { content: readFileSync(path.join(SRC_DIR, f), 'utf8') }])),
    settings: {
      viaIR: profile.viaIR,
      optimizer: { enabled: true, runs: profile.runs },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(await runSolc(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`Solidity compilation failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const artifacts: Record<string, Artifact> = {};
  // only the contracts of this profile's own sources (imports are compiled again where they are a source)
  for (const sourceName of profile.sources) {
    for (const [contractName, c] of Object.entries(output.contracts?.[sourceName] ?? {})) {
      artifacts[contractName] = { contractName, sourceName, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
    }
  }
  return artifacts;
}

/** Compiles if the sources changed; returns every artifact by contract name. */
export async function ensureCompiled(options: { quiet?: boolean } = {}): Promise<Record<string, Artifact>> {
  const solcVersion: string = JSON.parse(readFileSync(path.join(NODE_MODULES, 'solc', 'package.json'), 'utf8')).version;
  const files = sourceFiles();
  const hash = sourcesHash(files, solcVersion);
  if (existsSync(ARTIFACTS) && existsSync(TYPES_DIR)) {
    const cached = JSON.parse(readFileSync(ARTIFACTS, 'utf8')) as ArtifactFile;
    if (cached.hash === hash) return cached.artifacts;
  }
  const started = Date.now();
  const relative = files.map((f) => path.relative(SRC_DIR, f));
  const profiles: Profile[] = [
    { sources: relative.filter((f) => !HOT_SOURCES.includes(f)), viaIR: false, runs: 200 },
    ...HOT_SOURCES.filter((f) => relative.includes(f)).map((f) => ({ sources: [f], viaIR: true, runs: 100_000 })),
  ];
  const artifacts: Record<string, Artifact> = Object.assign({}, ...(await Promise.all(profiles.map(compileProfile))));
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
