/**
 * docs/settings.md holds the one table of settings; this holds it against the code. The
 * variables the code reads are taken from where each language declares them: the envalid specs
 * (TypeScript), the pydantic-settings fields (Python), the variable names Go reads from the
 * contract or spells out, and the `${NAME}` interpolations of docker-compose.yml.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import contract from '@calc/contracts/contract.json';
import { ROOT } from '../stack/topology';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const all = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]!);

/** Variables the SDKs and OpenTelemetry define and document themselves ([cluster.md], [observability.md]). */
const STANDARD = /^(TEMPORAL_(ADDRESS|NAMESPACE|API_KEY|TLS.*|PROFILE|CONFIG_FILE)|OTEL_.*)$/;

function readByCode(): Set<string> {
  const specs = ['runtime/settings.ts', 'producers/api/config.ts', 'stack/settings.ts'];
  const typescript = specs.flatMap((f) => all(read(f), /^\s+([A-Z][A-Z0-9_]+): /gm));
  const python = all(read('consumers/power_of_2_python/power_of_2/settings.py'), /^ {4}([a-z][a-z0-9_]*): /gm).map(
    (f) => f.toUpperCase(),
  );
  const goFiles = ['config.go', 'instrumentation.go', 'main.go'].map((f) => `consumers/power_of_4_golang/${f}`);
  const go = goFiles.flatMap((f) => all(read(f), /"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"/g));
  const fromContract = all(JSON.stringify(contract), /"(?:\w*[vV]ariable)":"([A-Z0-9_]+)"/g);
  const compose = all(read('docker-compose.yml'), /\$\{([A-Z][A-Z0-9_]*)/g);
  return new Set([...typescript, ...python, ...go, ...fromContract, ...compose]);
}

function documented(): Set<string> {
  const rows = read('docs/settings.md')
    .split('\n')
    .filter((line) => line.startsWith('| `'));
  return new Set(rows.flatMap((row) => all(row.split(' | ')[0]!, /`([A-Z][A-Z0-9_]*)`/g)));
}

it('docs/settings.md lists every variable the code reads, and only those', () => {
  const code = readByCode();
  const docs = documented();
  const missing = [...code].filter((name) => !docs.has(name) && !STANDARD.test(name)).sort();
  assert.deepEqual(missing, [], `read by the code but not in docs/settings.md: ${missing.join(', ')}`);
  const stale = [...docs].filter((name) => !code.has(name) && !STANDARD.test(name)).sort();
  assert.deepEqual(stale, [], `in docs/settings.md but read by no code: ${stale.join(', ')}`);
});
