/**
 * `make compose-up` / `make compose-down`: the production file on a machine without Docker Hub.
 * Up starts the engine if none answers, builds the stand-in images, keeps a payload key and a
 * database password in .env (Compose reads it; git ignores it) and runs
 * `docker compose up -d --build --wait`. Down runs `docker compose down` (the volume stays).
 * With `cluster` after either, three Temporal server nodes behind nginx (deploy/cluster.yml).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/topology';
import { CLUSTER_FILES, COMPOSE_FILES, compose, ensureEngine } from './engine';
import { buildImages } from './standins/images';

const PROJECT = 'polyglot-calculation';
const ENV_FILE = join(ROOT, '.env');

/** Secrets Compose needs, made once: a new key would leave everything stored unreadable. */
function secrets(): void {
  const text = existsSync(ENV_FILE) ? readFileSync(ENV_FILE, 'utf8') : '';
  const made = {
    PAYLOAD_KEYS: `compose-1:${randomBytes(32).toString('base64')}`,
    POSTGRES_PASSWORD: randomBytes(16).toString('hex'),
  };
  for (const [name, value] of Object.entries(made)) {
    if (process.env[name] || new RegExp(`^${name}=`, 'm').test(text)) continue;
    appendFileSync(ENV_FILE, `${text && !text.endsWith('\n') ? '\n' : ''}${name}=${value}\n`, { mode: 0o600 });
    console.log(`[compose] made ${name} in .env; keep it: the stored calculations need it`);
  }
}

async function main(command: string | undefined, form: string | undefined): Promise<void> {
  const project = compose(PROJECT, {}, form === 'cluster' ? CLUSTER_FILES : COMPOSE_FILES);
  if (command === 'down') {
    project.show('down');
    return;
  }
  if (command !== 'up' || (form !== undefined && form !== 'cluster'))
    throw new Error('usage: compose.ts up|down [cluster]');
  await ensureEngine();
  buildImages();
  secrets();
  project.show('up', '--detach', '--build', '--wait');
  const api = process.env.API_HOST_PORT ?? '8000';
  const ui = process.env.UI_HOST_PORT ?? '8080';
  console.log(
    `[compose] API http://localhost:${api}/docs · Temporal UI http://localhost:${ui} · make compose-down stops it`,
  );
}

main(process.argv[2], process.argv[3]).catch((error: unknown) => {
  console.error(`[compose] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
