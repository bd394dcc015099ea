// The generated artifacts, read from the package's own files so that they work from src (tests) and dist alike.
// Read with readFileSync rather than imported as JSON: JSON import attributes are not stable on Node 20.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ContractError } from './errors.js';

/** A JSON Schema (draft-07) object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Absolute path of the OpenAPI 3.1 document (`generated/openapi.json`). */
export const openApiPath: string = fileURLToPath(new URL('../generated/openapi.json', import.meta.url));

/** Absolute path of the JSON Schema definitions (`generated/schemas.json`). */
export const schemasPath: string = fileURLToPath(new URL('../generated/schemas.json', import.meta.url));

/** Absolute path of the gRPC proto (`proto/message_type.proto`, package `mojaloop.events`). */
export const protoPath: string = fileURLToPath(new URL('../proto/message_type.proto', import.meta.url));

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The generated definitions (`EventMessage`, `BatchRequest`, `ErrorBody`, ...), keyed by type name. Frozen. */
export const schemas: { readonly [name: string]: JsonSchema } = deepFreeze(
  (readJson(schemasPath) as { definitions: Record<string, JsonSchema> }).definitions,
);

/** The OpenAPI 3.1 document, frozen. Use `createOpenApiDocument` for a copy to change. */
export const openApiDocument: JsonSchema = deepFreeze(readJson(openApiPath) as JsonSchema);

export interface OpenApiOptions {
  /** Largest batch `POST /events` accepts (the document's default is 1000). */
  maxBatchItems?: number;
}

/** A mutable copy of the OpenAPI document with the sidecar's own limits written in. */
export function createOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const document = structuredClone(openApiDocument) as Record<string, unknown>;
  if (options.maxBatchItems !== undefined) {
    if (!Number.isSafeInteger(options.maxBatchItems) || options.maxBatchItems < 1) {
      throw new ContractError(
        'CONTRACT_INVALID_OPTION',
        `maxBatchItems must be a positive integer, got ${options.maxBatchItems}`,
      );
    }
    const components = document.components as { schemas: Record<string, Record<string, unknown>> };
    const batch = components.schemas.BatchRequest;
    if (!batch) throw new ContractError('CONTRACT_ARTIFACT_INVALID', `${openApiPath} has no BatchRequest schema`);
    batch.maxItems = options.maxBatchItems;
  }
  return document;
}
