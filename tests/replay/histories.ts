/**
 * What the recorder and the replay test share: where the recorded histories live, the public
 * test key their payloads are encrypted with, and the data converter that reads them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { dataConverter, readPayloadSettings } from '@calc/runtime';

export const HISTORIES_DIR = join(__dirname, 'histories');

/** The first key of contracts/codec-vectors: public, so that anyone can read the recorded payloads. */
export const TEST_PAYLOAD_KEYS = 'test-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

/** The production data converter (codec and encoded failure attributes) with the test key. */
export function testDataConverter(): DataConverter {
  return dataConverter(readPayloadSettings({ PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }));
}

/** Every recorded history, named by its file (`completed.json` -> `completed`), in name order. */
export function recordedHistories(): { workflowId: string; history: History }[] {
  return readdirSync(HISTORIES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'))),
    }));
}
