import { isDeepStrictEqual } from 'node:util';

/** The JSON Schema 2020-12 keywords that OpenAPI 3.1 request schemas use; others are ignored. */
interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  unevaluatedProperties?: Schema;
  dependentRequired?: Record<string, string[]>;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  if?: Schema;
  then?: Schema;
  else?: Schema;
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
}

type Schema = boolean | SchemaObject;

/** What checking one instance against one schema found: its errors, and the object properties it evaluated (for unevaluatedProperties). */
interface Outcome {
  errors: string[];
  evaluated: Set<string>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * Validates JSON values against the schemas of an OpenAPI 3.1 document, as a server that enforces
 * its contract would: `$ref`, the composition keywords (with `unevaluatedProperties` across them),
 * `if`/`then`, discriminated `oneOf`, and the type, enum, range, length, pattern and item keywords.
 * Errors are `$.path: what is wrong`, in the style of RunPod's `errors` list.
 */
export class OpenApiSchemaValidator {
  constructor(private readonly document: unknown) {}

  /** The errors of `value` against the schema at `ref` (e.g. `#/components/schemas/CreateEndpointRequest`); empty when it is valid. */
  validate(ref: string, value: unknown): string[] {
    return this.check({ $ref: ref }, value, '$').errors;
  }

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new RangeError(`Only local references are supported, got ${ref}`);
    let node: unknown = this.document;
    for (const token of ref.slice(2).split('/')) {
      const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) ? node[key] : undefined;
    }
    if (typeof node !== 'boolean' && !isObject(node)) throw new RangeError(`Unresolvable reference ${ref}`);
    return node as Schema;
  }

  private check(schema: Schema, value: unknown, path: string): Outcome {
    const outcome: Outcome = { errors: [], evaluated: new Set() };
    if (schema === true) return outcome;
    if (schema === false) return { ...outcome, errors: [`${path}: is not allowed`] };
    const absorb = (inner: Outcome) => {
      outcome.errors.push(...inner.errors);
      for (const key of inner.evaluated) outcome.evaluated.add(key);
    };

    if (schema.$ref) absorb(this.check(this.resolve(schema.$ref), value, path));
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (!types.some((type) => typeMatches(type, value))) {
        outcome.errors.push(`${path}: must be ${types.join(' or ')}, got ${show(value)}`);
        return outcome;
      }
    }
    if (schema.enum && !schema.enum.some((allowed) => isDeepStrictEqual(allowed, value))) {
      outcome.errors.push(`${path}: must be one of ${schema.enum.map(show).join(', ')}, got ${show(value)}`);
    }
    if ('const' in schema && !isDeepStrictEqual(schema.const, value)) outcome.errors.push(`${path}: must be ${show(schema.const)}, got ${show(value)}`);
    outcome.errors.push(...this.checkScalar(schema, value, path));
    if (Array.isArray(value)) outcome.errors.push(...this.checkArray(schema, value, path));
    if (isObject(value)) absorb(this.checkObject(schema, value, path));

    for (const part of schema.allOf ?? []) absorb(this.check(part, value, path));
    if (schema.anyOf) absorb(this.checkAlternatives(schema.anyOf, value, path, 'any'));
    if (schema.oneOf) absorb(schema.discriminator ? this.checkDiscriminated(schema, value, path) : this.checkAlternatives(schema.oneOf, value, path, 'one'));
    if (schema.not !== undefined && this.check(schema.not, value, path).errors.length === 0) outcome.errors.push(`${path}: matches a schema it must not`);
    if (schema.if !== undefined) {
      const condition = this.check(schema.if, value, path);
      if (condition.errors.length === 0) {
        absorb(condition);
        if (schema.then !== undefined) absorb(this.check(schema.then, value, path));
      } else if (schema.else !== undefined) {
        absorb(this.check(schema.else, value, path));
      }
    }
    if (isObject(value) && schema.unevaluatedProperties !== undefined) {
      for (const key of Object.keys(value).filter((name) => !outcome.evaluated.has(name))) {
        if (schema.unevaluatedProperties === false) outcome.errors.push(`${path}: property '${key}' is not allowed`);
        else outcome.errors.push(...this.check(schema.unevaluatedProperties, value[key], `${path}.${key}`).errors);
        outcome.evaluated.add(key);
      }
    }
    return outcome;
  }

  private checkScalar(schema: SchemaObject, value: unknown, path: string): string[] {
    const errors: string[] = [];
    if (typeof value === 'number') {
      if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: must be ≥ ${schema.minimum}, got ${value}`);
      if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: must be ≤ ${schema.maximum}, got ${value}`);
      if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) errors.push(`${path}: must be > ${schema.exclusiveMinimum}, got ${value}`);
      if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) errors.push(`${path}: must be < ${schema.exclusiveMaximum}, got ${value}`);
    }
    if (typeof value === 'string') {
      const length = [...value].length;
      if (schema.minLength !== undefined && length < schema.minLength) errors.push(`${path}: must have at least ${schema.minLength} character(s)`);
      if (schema.maxLength !== undefined && length > schema.maxLength) errors.push(`${path}: must have at most ${schema.maxLength} character(s)`);
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
        errors.push(`${path}: must match ${schema.pattern}, got ${show(value)}`);
    }
    return errors;
  }

  private checkArray(schema: SchemaObject, value: unknown[], path: string): string[] {
    const errors: string[] = [];
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: must have at least ${schema.minItems} item(s)`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${path}: must have at most ${schema.maxItems} item(s)`);
    if (schema.uniqueItems && value.some((item, index) => value.findIndex((other) => isDeepStrictEqual(other, item)) !== index)) {
      errors.push(`${path}: items must be unique`);
    }
    if (schema.items !== undefined) value.forEach((item, index) => errors.push(...this.check(schema.items!, item, `${path}[${index}]`).errors));
    return errors;
  }

  private checkObject(schema: SchemaObject, value: Record<string, unknown>, path: string): Outcome {
    const outcome: Outcome = { errors: [], evaluated: new Set() };
    for (const name of schema.required ?? []) if (!(name in value)) outcome.errors.push(`${path}: missing required property '${name}'`);
    for (const [name, needed] of Object.entries(schema.dependentRequired ?? {})) {
      if (!(name in value)) continue;
      for (const other of needed) if (!(other in value)) outcome.errors.push(`${path}: '${name}' requires '${other}'`);
    }
    const properties = schema.properties ?? {};
    for (const [name, item] of Object.entries(value)) {
      if (name in properties) {
        outcome.errors.push(...this.check(properties[name], item, `${path}.${name}`).errors);
        outcome.evaluated.add(name);
      } else if (schema.additionalProperties !== undefined) {
        if (schema.additionalProperties === false) outcome.errors.push(`${path}: additional property '${name}' is not allowed`);
        else outcome.errors.push(...this.check(schema.additionalProperties, item, `${path}.${name}`).errors);
        outcome.evaluated.add(name);
      }
    }
    return outcome;
  }

  /** anyOf (`any`) or oneOf without a discriminator (`one`): the annotations of the matching branches, or the errors of the closest one. */
  private checkAlternatives(branches: Schema[], value: unknown, path: string, mode: 'any' | 'one'): Outcome {
    const outcomes = branches.map((branch) => this.check(branch, value, path));
    const matching = outcomes.filter((outcome) => outcome.errors.length === 0);
    if (matching.length === 0) {
      const closest = outcomes.reduce((best, outcome) => (outcome.errors.length < best.errors.length ? outcome : best));
      return { errors: [`${path}: matches none of the ${branches.length} allowed forms`, ...closest.errors], evaluated: new Set() };
    }
    if (mode === 'one' && matching.length > 1) return { errors: [`${path}: matches more than one of the allowed forms`], evaluated: new Set() };
    return { errors: [], evaluated: new Set(matching.flatMap((outcome) => [...outcome.evaluated])) };
  }

  private checkDiscriminated(schema: SchemaObject, value: unknown, path: string): Outcome {
    const { propertyName, mapping = {} } = schema.discriminator!;
    if (!isObject(value)) return { errors: [`${path}: must be object, got ${show(value)}`], evaluated: new Set() };
    const chosen = value[propertyName];
    const ref = typeof chosen === 'string' ? mapping[chosen] : undefined;
    if (ref === undefined) {
      return { errors: [`${path}.${propertyName}: must be one of ${Object.keys(mapping).map(show).join(', ')}, got ${show(chosen)}`], evaluated: new Set() };
    }
    return this.check({ $ref: ref }, value, path);
  }
}
