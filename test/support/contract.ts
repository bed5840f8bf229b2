import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode } from 'graphql';

/** The checkout's root (the folder holding package.json), from the sources or from their build under dist/. */
function projectRoot(from: string): string {
  let directory = from;
  while (!fs.existsSync(path.join(directory, 'package.json'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${from}`);
    directory = parent;
  }
  return directory;
}

/** The dashboards' operations (a copy of ../shared/contract/dashboard.graphql). */
export const CONTRACT_FILE = path.join(projectRoot(__dirname), 'test', 'contract', 'dashboard.graphql');

const document: DocumentNode = parse(fs.readFileSync(CONTRACT_FILE, 'utf8'));
const fragments = new Map<string, FragmentDefinitionNode>();
for (const definition of document.definitions) {
  if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
}

function usedFragments(node: DefinitionNode, found = new Set<string>()): Set<string> {
  visit(node, {
    FragmentSpread(spread) {
      if (found.has(spread.name.value)) return;
      found.add(spread.name.value);
      usedFragments(fragments.get(spread.name.value) as FragmentDefinitionNode, found);
    },
  });
  return found;
}

/** The text of one contract operation with the fragments it uses, exactly as the dashboards send it. */
export function contractOperation(name: string): string {
  const operation = document.definitions.find(
    (definition: DefinitionNode) => definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === name,
  );
  if (!operation) throw new Error(`No operation ${name} in the contract`);
  const needed = [...usedFragments(operation)].map((fragment) => print(fragments.get(fragment) as FragmentDefinitionNode));
  return [print(operation), ...needed].join('\n\n');
}

/** Every operation name of the contract. */
export function contractOperationNames(): string[] {
  return document.definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION && definition.name ? [definition.name.value] : [],
  );
}

export const contractDocument = document;
