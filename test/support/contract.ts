import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode } from 'graphql';

const document: DocumentNode = parse(fs.readFileSync(path.resolve(__dirname, '../contract/dashboard.graphql'), 'utf8'));
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
