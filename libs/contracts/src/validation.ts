/**
 * ajv validators for every contract version. Compiling is the expensive part (ajv generates code;
 * all our contracts together cost 250-400 ms of start-up CPU on this machine), validating afterwards
 * is cheap, so each validator is compiled the first time its contract version is used and kept: a
 * service pays only for the contracts it speaks. A broken schema still fails CI, where every
 * validator is compiled (`compileAllValidators`, test/unit/schemas.test.ts).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ContractErrorDetail } from './errors.ts';
import {
  SHARED_SCHEMAS,
  listContractVersions,
  type ContractName,
  type ContractPayload,
  type ContractVersion,
  type LatestVersion,
  LATEST_VERSION,
} from './registry.ts';

// ajv-formats is CommonJS whose `module.exports` is the plugin and also carries it as `.default`;
// under NodeNext the default import is typed as the module object, so `.default` is the call both
// TypeScript and Node agree on.
const addFormats = addFormatsModule.default;

// The ajv instance too: constructing it compiles the draft 2020-12 meta-schema, most of the cost.
let ajvInstance: Ajv2020 | undefined;
function ajv(): Ajv2020 {
  if (ajvInstance !== undefined) return ajvInstance;
  const instance = new Ajv2020({
    // Report every problem at once, so a dead-lettered message says everything that is wrong with it.
    allErrors: true,
    // Unknown keywords and ambiguous schemas are mistakes in our schemas: fail in CI, not in production.
    strict: true,
    // `params` values are string | number | boolean, written as a type array.
    allowUnionTypes: true,
  });
  // date-time here is RFC 3339 with a required offset (ajv-formats' "full" mode).
  addFormats(instance, ['date-time']);
  for (const schema of SHARED_SCHEMAS) instance.addSchema(schema);
  ajvInstance = instance;
  return instance;
}

const schemas = new Map(
  listContractVersions().map(({ contract, version, schema }) => [validatorKey(contract, version), schema]),
);
const validators = new Map<string, ValidateFunction>();

function validatorFor(contract: string, version: number): ValidateFunction | undefined {
  const key = validatorKey(contract, version);
  let validate = validators.get(key);
  if (validate === undefined) {
    const schema = schemas.get(key);
    if (schema === undefined) return undefined;
    validate = ajv().compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

/** Compiles every contract version's validator now (tests; a process that wants it up front). */
export function compileAllValidators(): number {
  for (const { contract, version } of listContractVersions()) validatorFor(contract, version);
  return validators.size;
}

function validatorKey(contract: string, version: number): string {
  return `${contract}@${version}`;
}

function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * A stable path for an ajv error: its instance path, plus the property a `required`,
 * `additionalProperties` or `propertyNames` error is about (ajv reports those on the parent
 * object), so `/phoneNumber` reads the same whether the field is missing or malformed.
 */
function toErrorDetail(error: ErrorObject): ContractErrorDetail {
  const params = error.params as Record<string, unknown>;
  const property =
    error.keyword === 'required'
      ? params['missingProperty']
      : error.keyword === 'additionalProperties'
        ? params['additionalProperty']
        : error.keyword === 'propertyNames'
          ? params['propertyName']
          : undefined;
  const path =
    typeof property === 'string'
      ? `${error.instancePath}/${escapePointerToken(property)}`
      : error.instancePath;
  return { path: path === '' ? '/' : path, keyword: error.keyword, message: error.message ?? error.keyword };
}

export type ValidationResult<T> =
  | { valid: true; payload: T; errors?: undefined }
  | { valid: false; payload?: undefined; errors: ContractErrorDetail[] };

/**
 * Checks a payload against a contract version's schema (the latest when no version is given).
 * An expected outcome, so a value rather than an exception; `encodeMessage` and `decodeMessage`
 * turn a failure into a `ContractViolation`.
 */
export function validatePayload<C extends ContractName, V extends ContractVersion<C> = LatestVersion<C>>(
  contract: C,
  payload: unknown,
  version?: V,
): ValidationResult<ContractPayload<C, V>> {
  const result = validateVersion(contract, version ?? LATEST_VERSION[contract], payload);
  // The validator for (contract, version) is compiled from the schema the type was generated from.
  return result as ValidationResult<ContractPayload<C, V>>;
}

/** Untyped core of `validatePayload`, for callers that checked the version at run time. */
export function validateVersion(
  contract: ContractName,
  version: number,
  payload: unknown,
): ValidationResult<unknown> {
  const validate = validatorFor(contract, version);
  if (validate === undefined) {
    throw new RangeError(`No schema registered for ${contract} v${version}`);
  }
  if (validate(payload)) return { valid: true, payload };
  return { valid: false, errors: (validate.errors ?? []).map(toErrorDetail) };
}
