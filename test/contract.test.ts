import 'reflect-metadata';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { buildSchema, validate } from 'graphql';
import { contractDocument, contractOperationNames } from './support/contract';

const COMMITTED_SDL = path.resolve(__dirname, '../schema/schema.graphql');

describe('dashboard contract', () => {
  it('is the same text as ../shared/contract (the copy kept for codegen and tests)', () => {
    const shared = path.resolve(__dirname, '../../shared/contract/dashboard.graphql');
    if (!fs.existsSync(shared)) return; // a checkout without ../shared beside it
    expect(fs.readFileSync(path.resolve(__dirname, 'contract/dashboard.graphql'), 'utf8')).toBe(fs.readFileSync(shared, 'utf8'));
  });

  it('validates every operation against the served schema, unchanged', async () => {
    const { buildAppSchema } = await import('../src/core/graphql/build-schema');
    const schema = await buildAppSchema();
    const errors = validate(schema, contractDocument).map((error) => error.message);
    expect(errors).toEqual([]);
    expect(contractOperationNames().length).toBeGreaterThanOrEqual(30);
  });

  it('validates against the committed SDL too (what the gateway and codegen read)', () => {
    const sdl = fs.readFileSync(COMMITTED_SDL, 'utf8');
    // The subgraph SDL uses federation directives; define them so a plain schema can be built from it.
    const federationPreamble = `
      scalar _Any
      scalar federation__FieldSet
      scalar link__Import
      enum link__Purpose { SECURITY EXECUTION }
      directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
      directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
      directive @shareable repeatable on OBJECT | FIELD_DEFINITION
    `;
    const schema = buildSchema(`${federationPreamble}\n${sdl.replace(/^extend schema[\s\S]*?\)\s*$/m, '')}`, { assumeValidSDL: true });
    expect(validate(schema, contractDocument).map((error) => error.message)).toEqual([]);
  });

  // Jest cannot load the codegen CLI's ES modules in-process; run it as a client's build would.
  it('generates a typed client with GraphQL Code Generator (codegen.yml) that type-checks', () => {
    const root = path.resolve(__dirname, '..');
    execFileSync(process.execPath, [path.join(root, 'node_modules/@graphql-codegen/cli/cjs/bin.js'), '--config', 'codegen.yml', '--silent'], { cwd: root, stdio: 'pipe' });
    const generated = fs.readFileSync(path.join(root, 'test/generated/graphql.ts'), 'utf8');
    for (const name of contractOperationNames()) expect(generated).toMatch(new RegExp(`export type ${name}(Query|Mutation) = `));
    expect(generated).toContain('export const MembersDocument');
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', 'test/generated/graphql.ts'], { cwd: root, stdio: 'pipe' });
  }, 120_000);
});
