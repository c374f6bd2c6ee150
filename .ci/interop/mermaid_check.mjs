// Parse rds-dr's Mermaid export with the REAL Mermaid parser (mermaid 11,
// under jsdom; no browser). The input is the reviewed insta snapshot of the
// shared test fleet, which has an instance id with `"<&>'\#` and backtick.
//
//   mkdir -p /tmp/mm && (cd /tmp/mm && npm install --silent mermaid@11 jsdom)
//   MERMAID_DIR=/tmp/mm node .ci/interop/mermaid_check.mjs
//
// Prints 'N passed, N failed'; exit 1 if any check failed.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = process.env.MERMAID_DIR;
if (!dir) {
  console.error('set MERMAID_DIR to a directory with mermaid and jsdom installed');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(dir), 'package.json'));
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import(pathToFileURL(require.resolve('mermaid')).href);
mermaid.initialize({ startOnLoad: false });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const snap = fs.readFileSync(
  path.join(root, 'crates/topology/tests/snapshots/export_snapshots__mermaid.snap'), 'utf8');
const body = snap.slice(4).split('\n---\n').slice(1).join('\n---\n');

let passed = 0;
let failed = 0;
async function check(label, text, shouldParse) {
  let ok;
  try {
    await mermaid.parse(text);
    ok = shouldParse;
  } catch (e) {
    ok = !shouldParse;
    if (shouldParse) console.log(String(e.message || e).slice(0, 500));
  }
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}`);
  ok ? passed++ : failed++;
}
await check('fleet export parses', body, true);
// The parser is strict enough to notice an unescaped quote.
await check('a raw quote in a label is rejected', 'flowchart LR\n  n0["a"b"]\n', false);
console.log(`mermaid: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
