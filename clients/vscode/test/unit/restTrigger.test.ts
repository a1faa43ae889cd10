import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asksAtRest, EDIT_MS } from '../../src/restTrigger';

const rested = { enabled: () => true, singleCursor: true, lineText: '        ', sinceEditMs: 5000 };

test('a cursor put on a blank line (indented or empty) asks once it rests', () => {
  assert.equal(asksAtRest(rested), true);
  assert.equal(asksAtRest({ ...rested, lineText: '' }), true);
  assert.equal(asksAtRest({ ...rested, lineText: '\t' }), true);
  assert.equal(asksAtRest({ ...rested, sinceEditMs: Infinity }), true);
});

test('a line with code, a selection or several cursors does not ask (reading code costs nothing)', () => {
  assert.equal(asksAtRest({ ...rested, lineText: '    return x' }), false);
  assert.equal(asksAtRest({ ...rested, singleCursor: false }), false);
  // Turned off, or the language is: VS Code would ask the other inline providers only.
  assert.equal(asksAtRest({ ...rested, enabled: () => false }), false);
});

test('the configuration is read only for a move that may ask (every key moves the cursor)', () => {
  let reads = 0;
  const enabled = () => {
    reads += 1;
    return true;
  };
  asksAtRest({ ...rested, enabled, lineText: '    return x' });
  asksAtRest({ ...rested, enabled, sinceEditMs: 0 });
  assert.equal(reads, 0);
  assert.equal(asksAtRest({ ...rested, enabled }), true);
  assert.equal(reads, 1);
});

test('a move that comes with an edit (typing, Enter) is left to VS Code, which asks itself', () => {
  assert.equal(asksAtRest({ ...rested, sinceEditMs: 0 }), false);
  assert.equal(asksAtRest({ ...rested, sinceEditMs: EDIT_MS - 1 }), false);
  assert.equal(asksAtRest({ ...rested, sinceEditMs: EDIT_MS }), true);
});
