/**
 * `doctor --probe`: every answer received, checked against the spec it should follow (status declared, body valid
 * against the schema) with Ajv. Loaded only by `doctor --probe`: neither the SDK nor the other commands load Ajv or
 * the specs. The specs are the dereferenced JSON that `npm run generate` writes into generated/.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Redactor } from '../../core/redact.js';
import { type Exchange, jsonBody, RECORDED_BODY_BYTES } from './exchanges.js';

/** One difference between what a spec says and what the vendor answered. */
export interface Drift {
  account: string;
  operation: string;
  status: number;
  /** Where in the spec: `#/paths/…/responses/…` and the schema keyword that failed. */
  schemaPath: string;
  /** Where in the answer's body (JSON Pointer), when the body is at fault. */
  instancePath?: string;
  expected: string;
  actual: string;
}

interface SpecOperation {
  spec: string;
  operationId: string;
  method: string;
  template: string;
  pattern: RegExp;
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
  compile: (schema: object) => ValidateFunction;
}

type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; responses?: SpecOperation['responses'] }>>;
};

const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

/** `/api/account/{site_id}/x` → a pattern matching a URL path that ends with it (a base path may come first). */
const templatePattern = (template: string) =>
  new RegExp(
    `${template
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
      .join('[^/]+')}/?$`,
  );

/** The operations of the three specs, with a validator factory of the right JSON Schema dialect for each. */
export async function loadSpecOperations(): Promise<SpecOperation[]> {
  const [{ Ajv }, { Ajv2020 }, mixpanel, liveperson, auth] = await Promise.all([
    import('ajv'),
    import('ajv/dist/2020.js'),
    import('../../../generated/mixpanel.openapi.json', { with: { type: 'json' } }),
    import('../../../generated/liveperson.openapi.json', { with: { type: 'json' } }),
    import('../../../generated/liveperson-auth.openapi.json', { with: { type: 'json' } }),
  ]);
  const options = { strict: false, allErrors: true, validateFormats: false };
  // OpenAPI 3.0 schemas are draft-04-like with `nullable` (Ajv knows it); 3.1 schemas are JSON Schema 2020-12.
  const draft7 = new Ajv(options);
  const draft2020 = new Ajv2020(options);
  const operations: SpecOperation[] = [];
  for (const [spec, doc] of [
    ['mixpanel', mixpanel.default],
    ['liveperson', liveperson.default],
    ['liveperson-auth', auth.default],
  ] as [string, OpenApiDoc][]) {
    const ajv = doc.openapi.startsWith('3.0') ? draft7 : draft2020;
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        operations.push({
          spec,
          operationId: op.operationId ?? `${method} ${template}`,
          method: method.toUpperCase(),
          template,
          pattern: templatePattern(template),
          responses: op.responses ?? {},
          compile: (schema) => ajv.compile(schema),
        });
      }
    }
  }
  return operations;
}

/** The spec operation an exchange belongs to (the Domain API has no spec: undefined). */
export function operationOf(operations: SpecOperation[], e: Exchange): SpecOperation | undefined {
  const path = new URL(e.url).pathname;
  return operations.find((op) => op.method === e.method.toUpperCase() && op.pattern.test(path));
}

const escapePointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

function valueAt(body: unknown, pointer: string): unknown {
  let v = body;
  for (const seg of pointer.split('/').slice(1)) {
    const key = seg.replaceAll('~1', '/').replaceAll('~0', '~');
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

const brief = (v: unknown) => {
  const text = v === undefined ? '(absent)' : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
};

function expectedOf(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `a "${p.missingProperty}" field`;
  if (error.keyword === 'additionalProperties') return `no "${p.additionalProperty}" field`;
  if (error.keyword === 'type') return `type ${p.type}`;
  if (error.keyword === 'enum')
    return `one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
  return `${error.keyword}: ${error.message ?? ''}`.trim();
}

const validators = new Map<string, ValidateFunction>();

/**
 * What in one exchange differs from its spec operation: an undeclared status, or a body the schema refuses. At most
 * `limit` drifts are described (a list of 200,000 bad items would otherwise be 200,000 lines), `total` counts all.
 */
export function driftsOf(
  op: SpecOperation,
  e: Exchange,
  account: string,
  redactor: Redactor,
  limit: number,
): { drifts: Drift[]; total: number } {
  const one = (drift: Drift) => ({ drifts: [drift], total: 1 });
  const at = `#/paths/${escapePointer(op.template)}/${op.method.toLowerCase()}/responses`;
  const base = { account, operation: `${op.spec} ${op.operationId}`, status: e.status };
  if (e.truncated)
    return one({
      ...base,
      schemaPath: at,
      expected: `an answer of at most ${RECORDED_BODY_BYTES} bytes (the SDK's cap)`,
      actual: 'a longer one (not checked)',
    });
  const declared = op.responses[String(e.status)] ?? op.responses[`${String(e.status)[0]}XX`] ?? op.responses.default;
  if (!declared)
    return one({
      ...base,
      schemaPath: at,
      expected: `a status the spec declares (${Object.keys(op.responses).join(', ')})`,
      actual: `HTTP ${e.status}`,
    });
  const key = op.responses[String(e.status)] ? String(e.status) : `${String(e.status)[0]}XX`;
  const content = declared.content ?? {};
  const mediaType = Object.keys(content).find((m) => m.includes('json'));
  const schema = mediaType ? content[mediaType]?.schema : undefined;
  if (!schema) return { drifts: [], total: 0 };
  const body = jsonBody(e);
  const where = `${at}/${key}/content/${escapePointer(mediaType as string)}/schema`;
  if (body === undefined)
    return one({
      ...base,
      schemaPath: where,
      expected: 'a JSON body',
      actual: brief(redactor.string(e.body || '(empty)')),
    });
  const cacheKey = `${op.spec} ${op.operationId} ${key}`;
  let validate = validators.get(cacheKey);
  if (!validate) {
    validate = op.compile(schema);
    validators.set(cacheKey, validate);
  }
  if (validate(body)) return { drifts: [], total: 0 };
  const safe = redactor.value(body);
  const errors = validate.errors ?? [];
  const drifts = errors.slice(0, limit).map((error) => ({
    ...base,
    schemaPath: `${where}${error.schemaPath.slice(1)}`,
    instancePath: error.instancePath || '/',
    expected: expectedOf(error),
    actual: brief(
      error.keyword === 'additionalProperties'
        ? valueAt(
            safe,
            `${error.instancePath}/${escapePointer(String((error.params as { additionalProperty: string }).additionalProperty))}`,
          )
        : valueAt(safe, error.instancePath),
    ),
  }));
  return { drifts, total: errors.length };
}
