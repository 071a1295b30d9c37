import { readFile } from 'node:fs/promises';
import { describeErrors, formatIssues, snapshotSchema, type Snapshot } from '@trellis/shared';

/**
 * Reads a snapshot from a JSON file (`trellis proxy --config FILE`): standalone use without a control
 * plane, and tests. Validated with the same schema as snapshots from the stream.
 */
export async function readConfigFile(file: string): Promise<Snapshot> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`config file ${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) throw new Error(`config file ${file} is not a valid snapshot: ${describeErrors(formatIssues(parsed.error.issues))}`);
  return parsed.data;
}
