import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detailsPrefix, expandTag, logAttributes } from './attrs.js';

const src = { id: 'a'.repeat(64), name: 'web', labels: { 'com.x': 'one two', other: 'o' }, env: ['A=1', 'B=x=y', 'NOEQ'], imageName: 'busybox', imageId: 'sha256:' + 'b'.repeat(64) };

describe('log attributes (logs --details)', () => {
  test('labels, env and regexes pick, sorted by key', () => {
    assert.deepEqual(logAttributes({ labels: 'com.x,missing', env: 'B' }, src), [['B', 'x=y'], ['com.x', 'one two']]);
    assert.deepEqual(logAttributes({ 'env-regex': '^A', 'labels-regex': '^oth' }, src), [['A', '1'], ['other', 'o']]);
  });
  test('tag template', () => {
    assert.equal(expandTag('{{.Name}}/{{.ID}}/{{.ImageID}}', src), `web/${'a'.repeat(12)}/${'b'.repeat(12)}`);
    assert.deepEqual(logAttributes({ tag: '{{.ImageName}}' }, src), [['tag', 'busybox']]);
  });
  test('prefix is query-escaped k=v pairs and a space', () => {
    assert.equal(detailsPrefix([['com.x', 'one two'], ['k', 'a/b']]).toString(), 'com.x=one+two,k=a%2Fb ');
    assert.equal(detailsPrefix([]).toString(), ' ');
  });
});
