import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ExecutionContext } from 'ava';
import { openApiDocument } from '../../src/openapi/document.ts';

const addFormats = addFormatsModule.default;
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
// The document's own top-level members are not schema keywords; declaring them lets ajv resolve
// `#/components/schemas/...` references inside the document in strict mode.
ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components']);
ajv.addSchema(JSON.parse(JSON.stringify(openApiDocument)) as object, 'openapi');

type Method = 'get' | 'post' | 'delete';
type Operation = {
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, { schema?: { $ref?: string } }> }
  >;
};

function operationOf(method: Method, path: string): Operation {
  const item = (openApiDocument.paths as Record<string, Partial<Record<Method, Operation>>>)[path];
  const operation = item?.[method];
  if (operation === undefined)
    throw new Error(`${method.toUpperCase()} ${path} is not in the OpenAPI document`);
  return operation;
}

const validators = new Map<string, ValidateFunction>();
function validatorFor(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (validate === undefined) {
    validate = ajv.getSchema(`openapi${ref}`);
    if (validate === undefined) throw new Error(`no schema ${ref}`);
    validators.set(ref, validate);
  }
  return validate;
}

/** A parsed response body: the fields every body has, the rest to be narrowed by the test. */
export interface ApiBody {
  success?: boolean;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  [field: string]: unknown;
}

/**
 * Checks a real response against the OpenAPI document: the status is documented for the operation,
 * the body validates against the documented schema (ajv, JSON Schema 2020-12), and a documented
 * Retry-After is a positive integer. Returns the parsed body.
 */
export async function documented(
  t: ExecutionContext,
  response: Response,
  method: Method,
  path: string,
): Promise<ApiBody> {
  const operation = operationOf(method, path);
  const spec = operation.responses[String(response.status)];
  t.truthy(
    spec,
    `${method.toUpperCase()} ${path} answered ${response.status}, which its OpenAPI operation does not document`,
  );
  const text = await response.text();
  const ref = spec?.content?.['application/json']?.schema?.$ref;
  if (ref === undefined) return {};
  t.regex(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text) as ApiBody;
  const validate = validatorFor(ref);
  t.true(
    validate(body),
    `${method.toUpperCase()} ${path} ${response.status}: ${ajv.errorsText(validate.errors)}\n${text}`,
  );
  if (spec?.headers?.['Retry-After'] !== undefined)
    t.regex(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
  if (spec?.headers?.['X-Request-Id'] !== undefined) t.truthy(response.headers.get('x-request-id'));
  return body;
}
