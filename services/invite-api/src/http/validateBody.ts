import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { AppError } from '../errors.ts';
import type { AppMiddleware } from './types.ts';

// Built on first use, like the contract validators: constructing Ajv compiles the 2020-12
// meta-schema, a cost that belongs to the first request, not to start-up.
let ajvInstance: Ajv2020 | undefined;
const ajv = (): Ajv2020 => (ajvInstance ??= new Ajv2020({ allErrors: true, strict: true }));

export interface FieldError {
  /** JSON Pointer of the offending value ('' is the whole body). */
  path: string;
  message: string;
}

/**
 * `validate(schema)`: the body against a JSON Schema from the OpenAPI document (one source of truth for
 * docs and checks). Failures are VALIDATION_ERROR with one entry per problem.
 */
export function validateBody(schema: object): AppMiddleware {
  let validate: ValidateFunction | undefined;
  return async (ctx, next) => {
    validate ??= ajv().compile(schema);
    const body: unknown = ctx.request.body;
    if (!validate(body)) {
      throw new AppError('VALIDATION_ERROR', 'The request body is not valid', {
        details: { fields: fieldErrors(validate.errors ?? []) },
      });
    }
    ctx.state.body = body;
    await next();
  };
}

export function fieldErrors(errors: readonly ErrorObject[]): FieldError[] {
  return errors.slice(0, 20).map((error) => {
    if (error.keyword === 'additionalProperties') {
      const property = String((error.params as { additionalProperty?: unknown }).additionalProperty).slice(
        0,
        64,
      );
      return { path: `${error.instancePath}/${property}`, message: 'is not an allowed property' };
    }
    if (error.keyword === 'required') {
      const property = String((error.params as { missingProperty?: unknown }).missingProperty);
      return { path: `${error.instancePath}/${property}`, message: 'is required' };
    }
    return { path: error.instancePath, message: error.message ?? 'is invalid' };
  });
}
