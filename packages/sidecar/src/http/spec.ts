// The copy of the contract's OpenAPI document that express-openapi-validator enforces. The
// request-body schemas of the event routes are loosened to their outer shape (an object; an array
// within MAX_BATCH_EVENTS): the events themselves are checked one by one with the contract's
// precompiled validator, so that a batch keeps its valid events and the hot path pays for one
// validation, not two.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function resolveRef(doc: Json, schema: unknown): Json | undefined {
  if (!isObject(schema)) return undefined;
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/'))
    node = isObject(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isObject(node) ? node : undefined;
}

function replaceBodySchema(doc: Json, path: string, make: (original: Json | undefined) => Json): void {
  const paths = doc.paths;
  const operation = isObject(paths) && isObject(paths[path]) ? paths[path].post : undefined;
  const requestBody = isObject(operation) ? resolveRef(doc, operation.requestBody) : undefined;
  if (!isObject(operation) || !requestBody || !isObject(requestBody.content)) return;
  const content: Json = {};
  for (const [mediaType, media] of Object.entries(requestBody.content)) {
    const original = isObject(media) ? resolveRef(doc, media.schema) : undefined;
    content[mediaType] = { ...(isObject(media) ? media : {}), schema: make(original) };
  }
  operation.requestBody = { ...requestBody, content };
}

export function routingDocument(document: object, maxBatchEvents: number): object {
  const doc = structuredClone(document) as Json;
  replaceBodySchema(doc, '/event', () => ({ type: 'object' }));
  replaceBodySchema(doc, '/events', (original) => ({
    type: 'array',
    ...(typeof original?.minItems === 'number' ? { minItems: original.minItems } : {}),
    maxItems: maxBatchEvents,
    items: {},
  }));
  return doc;
}
