/**
 * Where the shared data sets live (`../shared/data` beside the repository on development and CI
 * machines). PATRON_SHARED_DATA overrides; `/work/shared/data` is the fallback for a clone made
 * elsewhere on the same machine.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export function sharedDataPath(...parts: string[]): string {
  const candidates = [
    process.env.PATRON_SHARED_DATA,
    path.resolve(root, '../shared/data'),
    '/work/shared/data',
  ].filter((c): c is string => typeof c === 'string' && c !== '');
  for (const base of candidates) {
    const p = path.join(base, ...parts);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(
    `shared data ${parts.join('/')} not found in ${candidates.join(', ')}; set PATRON_SHARED_DATA to the folder that holds cdnow/ and reviews/`,
  );
}
