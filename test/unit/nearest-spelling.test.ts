/** "Did you mean …?": edit distance with neighbour swaps, and only close candidates offered. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { editDistance, nearestSpelling } from '../../src/core/nearest-spelling.js';

describe('edit distance', () => {
  test('insert, delete, substitute and a swap of neighbours each count one', () => {
    assert.equal(editDistance('schema', 'schema'), 0);
    assert.equal(editDistance('schemaa', 'schema'), 1);
    assert.equal(editDistance('schem', 'schema'), 1);
    assert.equal(editDistance('schena', 'schema'), 1);
    assert.equal(editDistance('exprot', 'export'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});

describe('nearest spelling', () => {
  const commands = ['export schema', 'export data from source', 'import schema', 'import data', 'end migration'];
  test('the closest candidate within the typo allowance', () => {
    assert.equal(nearestSpelling('export schemaa', commands), 'export schema');
    assert.equal(nearestSpelling('imprt schema', commands), 'import schema');
    assert.equal(nearestSpelling('import dat', commands), 'import data');
  });
  test('nothing when every candidate is far', () => {
    assert.equal(nearestSpelling('frobnicate', commands), undefined);
    assert.equal(nearestSpelling('ab', ['xyz']), undefined);
  });
  test('a tie goes to the earlier candidate', () => {
    assert.equal(nearestSpelling('cat', ['bat', 'hat']), 'bat');
    assert.equal(nearestSpelling('cat', ['hat', 'bat']), 'hat');
  });
});
