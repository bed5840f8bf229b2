import fs from 'node:fs';
import path from 'node:path';

/** The checkout's root: the first folder above this file (source or its build under dist/) holding package.json and tsconfig.json. */
function findProjectRoot(from: string): string {
  let directory = from;
  while (!(fs.existsSync(path.join(directory, 'package.json')) && fs.existsSync(path.join(directory, 'tsconfig.json')))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no checkout root (package.json and tsconfig.json) above ${from}`);
    directory = parent;
  }
  return directory;
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
