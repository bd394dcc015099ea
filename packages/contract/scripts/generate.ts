// Generates generated/schemas.json (JSON Schema draft-07 definitions) from src/types.ts with typescript-json-schema,
// and generated/openapi.json (OpenAPI 3.1, the same definitions hoisted into components.schemas).
// Usage: tsx scripts/generate.ts [outDir]. Output keys are sorted so that regenerating gives identical bytes;
// test/generate.test.ts regenerates into a temporary directory and fails on any difference.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as TJS from 'typescript-json-schema';
import { buildOpenApiDocument } from './openapi.js';

export type JsonObject = { [key: string]: unknown };
export type Definitions = Record<string, JsonObject>;

export const packageRoot = fileURLToPath(new URL('..', import.meta.url));
export const defaultOutDir = join(packageRoot, 'generated');
const typesFile = join(packageRoot, 'src', 'types.ts');

/** The types published as schemas; everything they reference comes along. */
const ROOTS = [
  'EventMessage',
  'EventMetadata',
  'EventType',
  'EventAction',
  'BatchRequest',
  'PublishedEvent',
  'SpooledEventAnswer',
  'BatchResponse',
  'ErrorBody',
  'HealthBody',
  'LiveBody',
];

const SETTINGS: TJS.PartialArgs = {
  required: true,
  noExtraProps: true,
  strictNullChecks: true,
  ref: true,
  aliasRef: false,
  validationKeywords: ['propertyNames'],
  ignoreErrors: false,
};

const COMPILER_OPTIONS: TJS.CompilerOptions = { strict: true, strictNullChecks: true, skipLibCheck: true };

function definitionsFromTypes(): Definitions {
  const program = TJS.getProgramFromFiles([typesFile], COMPILER_OPTIONS, packageRoot);
  const generator = TJS.buildGenerator(program, SETTINGS);
  if (!generator) throw new Error(`typescript-json-schema could not build a generator for ${typesFile}`);
  const schema = generator.getSchemaForSymbols(ROOTS);
  return (schema.definitions ?? {}) as Definitions;
}

function required(definitions: Definitions, name: string): JsonObject {
  const definition = definitions[name];
  if (!definition) throw new Error(`generate: definition ${name} missing`);
  return definition;
}

/**
 * What annotations cannot say. typescript-json-schema turns a union into a plain `anyOf`, which reports one error per
 * branch; these steps give the validators one error naming the field.
 */
export function finishDefinitions(definitions: Definitions): Definitions {
  const out = tidyReferences(structuredClone(definitions), definitions) as Definitions;

  // The action must be one allowed for the type: a discriminator on `type` (no `mapping`: express-openapi-validator
  // then fails every request) selects the one branch to validate, so a wrong action gives one `enum` error. The
  // `properties.type` gives an unknown type one `enum` error naming the four types.
  const eventMetadata = required(out, 'EventMetadata');
  const branches = eventMetadata.anyOf;
  if (!Array.isArray(branches) || branches.length !== 4)
    throw new Error('generate: EventMetadata is not a 4-way union');
  out.EventMetadata = {
    description: eventMetadata.description,
    type: 'object',
    properties: { type: { $ref: '#/definitions/EventType' } },
    required: ['type'],
    discriminator: { propertyName: 'type' },
    oneOf: branches,
  };

  // `content` is an object for application/json and a string for text/plain. One `if` per content type, each
  // requiring `type`, so that a missing or unknown `type` is reported on `/type` and not on `/content`.
  const eventMessage = required(out, 'EventMessage');
  const properties = eventMessage.properties as Definitions;
  const content = properties.content;
  if (!content) throw new Error('generate: EventMessage.content missing');
  properties.content = { description: content.description, type: ['object', 'string'] };
  eventMessage.allOf = [
    {
      if: { properties: { type: { const: 'application/json' } }, required: ['type'] },
      then: { properties: { content: { $ref: '#/definitions/JsonEventContent' } } },
    },
    {
      if: { properties: { type: { const: 'text/plain' } }, required: ['type'] },
      then: { properties: { content: { type: 'string' } } },
    },
  ];

  // sampled and flags: a number or its string form (see the types); one schema whose keywords apply by type.
  const trace = required(out, 'EventTraceMetadata').properties as Definitions;
  for (const [name, maximum, pattern] of [
    ['sampled', 1, '^[01]$'],
    ['flags', 255, '^[0-9a-f]{1,2}$'],
  ] as const) {
    const property = trace[name];
    if (!property) throw new Error(`generate: EventTraceMetadata.${name} missing`);
    trace[name] = { description: property.description, type: ['integer', 'string'], minimum: 0, maximum, pattern };
  }

  // Index-signature values take no annotations in typescript-json-schema: their limits are set here. A tracestates
  // entry is tags or a string; one schema for both (keywords apply by type) instead of an anyOf that reports the
  // failure of each branch.
  const tagValue = { type: 'string', maxLength: 8192 };
  required(out, 'EventTraceTags').additionalProperties = tagValue;
  const tags = required(out, 'EventTraceTags');
  required(out, 'EventTraceStates').additionalProperties = {
    type: ['object', 'string'],
    maxLength: 512,
    maxProperties: tags.maxProperties,
    propertyNames: tags.propertyNames,
    additionalProperties: tagValue,
  };
  return out;
}

/**
 * typescript-json-schema repeats a referenced type's annotations beside each `$ref` to it; validation keywords there
 * are redundant (and ajv's strict mode rejects them without a `type`). Keeps only a description of the use site.
 */
function tidyReferences(value: unknown, definitions: Definitions): unknown {
  if (Array.isArray(value)) return value.map((item) => tidyReferences(item, definitions));
  if (value === null || typeof value !== 'object') return value;
  const node = value as JsonObject;
  if (typeof node.$ref === 'string') {
    const target = definitions[node.$ref.replace('#/definitions/', '')];
    const out: JsonObject = { $ref: node.$ref };
    if (typeof node.description === 'string' && node.description !== target?.description) {
      out.description = node.description;
    }
    return out;
  }
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(node)) out[key] = tidyReferences(child, definitions);
  return out;
}

/** Object keys sorted at every depth; arrays keep their order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: JsonObject = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as JsonObject)[key]);
    return sorted;
  }
  return value;
}

export function serialize(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

export interface Artifacts {
  /** File name (relative to the output directory) to contents. */
  files: Record<string, string>;
}

export function generateArtifacts(): Artifacts {
  const definitions = finishDefinitions(definitionsFromTypes());
  const schemas = {
    $comment: 'Generated from src/types.ts by scripts/generate.ts (npm run generate). Do not edit.',
    $schema: 'http://json-schema.org/draft-07/schema#',
    definitions,
  };
  return {
    files: {
      'schemas.json': serialize(schemas),
      'openapi.json': serialize(buildOpenApiDocument(definitions)),
    },
  };
}

export function writeArtifacts(outDir: string, artifacts: Artifacts = generateArtifacts()): string[] {
  mkdirSync(outDir, { recursive: true });
  return Object.entries(artifacts.files).map(([name, text]) => {
    const path = join(outDir, name);
    writeFileSync(path, text);
    return path;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = resolve(process.argv[2] ?? defaultOutDir);
  for (const path of writeArtifacts(outDir)) console.log(`generate: wrote ${path}`);
}
