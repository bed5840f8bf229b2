import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { printAppSchema } from '../core/graphql/build-schema';

/** `npm run schema:print`: writes the subgraph SDL to schema/schema.graphql (committed; a test checks drift). */
async function main(): Promise<void> {
  const target = path.resolve(__dirname, '../../../schema/schema.graphql');
  fs.writeFileSync(target, `${(await printAppSchema()).trim()}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
