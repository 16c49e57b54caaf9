import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { InspectError, defaultHeader, renderInspect, renderList, renderTemplate, type ListOptions } from './formatter.js';

const IMAGES_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const IMAGE_HEADERS = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  ID: 'IMAGE ID',
  CreatedSince: 'CREATED',
  Size: 'SIZE',
  Digest: 'DIGEST',
};
const busybox = {
  Repository: 'busybox',
  Tag: 'latest',
  ID: 'a416a98b71e2',
  CreatedSince: '2 weeks ago',
  Size: '4.26MB',
  Digest: '<none>',
};
const alpine = {
  Repository: 'alpine',
  Tag: '3.19',
  ID: 'b0c9d60fc5e3',
  CreatedSince: '3 months ago',
  Size: '7.38MB',
  Digest: 'sha256:c5b1261d',
};

// [name, format, rows, options, expected]
const cases: [string, string | undefined, Record<string, unknown>[], ListOptions, string][] = [
  [
    'no format: the default table',
    undefined,
    [busybox],
    {},
    'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n' +
      'busybox      latest    a416a98b71e2   2 weeks ago   4.26MB\n',
  ],
  [
    '"table": the default table',
    'table',
    [busybox, alpine],
    {},
    'REPOSITORY   TAG       IMAGE ID       CREATED        SIZE\n' +
      'busybox      latest    a416a98b71e2   2 weeks ago    4.26MB\n' +
      'alpine       3.19      b0c9d60fc5e3   3 months ago   7.38MB\n',
  ],
  ['a table without rows still has its header', undefined, [], {}, 'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n'],
  [
    'custom table with typed \\t escapes',
    'table {{.ID}}\\t{{.Repository}}:{{.Tag}}',
    [busybox],
    {},
    'IMAGE ID       REPOSITORY:TAG\na416a98b71e2   busybox:latest\n',
  ],
  [
    'header functions leave titles intact',
    'table {{json .Digest}}\t{{lower .Repository}}\t{{truncate .ID 4}}',
    [busybox],
    {},
    'DIGEST     REPOSITORY   IMAGE ID\n"<none>"   busybox      a416\n',
  ],
  [
    'fields without a title get an upper-cased one',
    'table {{.ID}}\t{{.SharedSize}}',
    [{ ...busybox, SharedSize: 'N/A' }],
    {},
    'IMAGE ID       SHARED SIZE\na416a98b71e2   N/A\n',
  ],
  ['"table" prefix needs no space', 'table{{.Tag}}', [busybox], {}, 'TAG\nlatest\n'],
  [
    'json: one compact object per row, sorted keys, HTML escaped',
    'json',
    [busybox, alpine],
    {},
    '{"CreatedSince":"2 weeks ago","Digest":"\\u003cnone\\u003e","ID":"a416a98b71e2","Repository":"busybox","Size":"4.26MB","Tag":"latest"}\n' +
      '{"CreatedSince":"3 months ago","Digest":"sha256:c5b1261d","ID":"b0c9d60fc5e3","Repository":"alpine","Size":"7.38MB","Tag":"3.19"}\n',
  ],
  [
    '{{json .}} of a row is the same as json',
    '{{json .}}',
    [busybox],
    {},
    '{"CreatedSince":"2 weeks ago","Digest":"\\u003cnone\\u003e","ID":"a416a98b71e2","Repository":"busybox","Size":"4.26MB","Tag":"latest"}\n',
  ],
  ['custom format: no header, no alignment', '{{.Repository}}:{{.Tag}}\\t{{.Size}}', [busybox, alpine], {}, 'busybox:latest\t4.26MB\nalpine:3.19\t7.38MB\n'],
  ['spaces around a format are trimmed', '  {{.Tag}}  ', [busybox], {}, 'latest\n'],
  ['custom format without rows prints nothing', '{{.ID}}', [], {}, ''],
  ['quiet prints IDs', undefined, [busybox, alpine], { quiet: true }, 'a416a98b71e2\nb0c9d60fc5e3\n'],
  ['quiet with "table" prints IDs', 'table', [busybox], { quiet: true }, 'a416a98b71e2\n'],
  ['quiet field', undefined, [busybox], { quiet: true, quietField: 'Repository' }, 'busybox\n'],
  ['a custom format wins over quiet', '{{.Tag}}', [busybox], { quiet: true }, 'latest\n'],
];

describe('renderList', () => {
  for (const [name, format, rows, opts, want] of cases) {
    test(name, () => assert.equal(renderList(format, IMAGES_TABLE, rows, IMAGE_HEADERS, opts), want));
  }

  test('the default format may omit the table prefix', () => {
    assert.equal(renderList(undefined, '{{.Tag}}', [busybox], IMAGE_HEADERS), 'TAG\nlatest\n');
  });

  test('parse errors are reported like docker', () => {
    assert.throws(() => renderList('{{.ID | foo}}', IMAGES_TABLE, [busybox], IMAGE_HEADERS), {
      message: 'template parsing error: template: :1: function "foo" not defined',
    });
  });

  test('execution errors are reported like docker, with nothing rendered', () => {
    assert.throws(() => renderList('table {{.ID.X}}', IMAGES_TABLE, [busybox], IMAGE_HEADERS), {
      message: 'template parsing error: template: :1:5: executing "" at <.ID.X>: can\'t evaluate field X in type string',
    });
  });
});

describe('renderInspect', () => {
  const objects = [
    { Id: 'sha256:a416', RepoTags: ['busybox:latest'], Config: { Env: ['PATH=/bin'], Labels: null }, Size: 4261000 },
    { Id: 'sha256:b0c9', RepoTags: [], Config: { Env: [], Labels: { 'a.b': 'x' } }, Size: 7380000 },
  ];

  test('no format: JSON array indented by four spaces', () => {
    assert.equal(
      renderInspect(undefined, objects.slice(0, 1)),
      '[\n    {\n        "Id": "sha256:a416",\n        "RepoTags": [\n            "busybox:latest"\n        ],\n' +
        '        "Config": {\n            "Env": [\n                "PATH=/bin"\n            ],\n' +
        '            "Labels": null\n        },\n        "Size": 4261000\n    }\n]\n',
    );
  });

  test('no objects', () => {
    assert.equal(renderInspect(undefined, []), '[]\n');
    assert.equal(renderInspect('json', []), '[]\n');
    assert.equal(renderInspect('{{.Id}}', []), '\n');
  });

  test('json: compact array', () => {
    assert.equal(
      renderInspect('json', objects),
      '[{"Id":"sha256:a416","RepoTags":["busybox:latest"],"Config":{"Env":["PATH=/bin"],"Labels":null},"Size":4261000},' +
        '{"Id":"sha256:b0c9","RepoTags":[],"Config":{"Env":[],"Labels":{"a.b":"x"}},"Size":7380000}]\n',
    );
  });

  const formats: [string, string][] = [
    ['{{.Id}}', 'sha256:a416\nsha256:b0c9\n'],
    ['{{.Size}} {{.Config.Env}}', '4261000 [PATH=/bin]\n7380000 []\n'],
    ['{{json .Config.Labels}}', 'null\n{"a.b":"x"}\n'],
    ['{{.Missing}}', '<no value>\n<no value>\n'],
  ];
  for (const [format, want] of formats) {
    test(`format ${JSON.stringify(format)}`, () => assert.equal(renderInspect(format, objects), want));
  }

  test('objects that fail are reported together, the rest still render', () => {
    assert.throws(
      () => renderInspect('{{index .Config.Labels "a.b"}}', objects),
      (err: unknown) => {
        assert.ok(err instanceof InspectError);
        assert.equal(
          err.message,
          'template parsing error: template: :1:2: executing "" at <index .Config.Labels "a.b">: error calling index: index of untyped nil',
        );
        assert.equal(err.output, 'x\n');
        return true;
      },
    );
  });

  test('missingkey=error, as in docker\'s raw-JSON fallback', () => {
    assert.throws(() => renderInspect('{{.Nope}}', objects.slice(0, 1), { missingKey: 'error' }), {
      message: 'template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"',
    });
  });

  test('bad templates fail before rendering', () => {
    assert.throws(() => renderInspect('{{.Id', objects), { message: 'template parsing error: template: :1: unclosed action' });
  });
});

describe('renderTemplate', () => {
  const version = { Client: { Version: '27.0.0', ApiVersion: '1.46' }, Server: { Version: '0.1.0' } };
  test('renders one object', () => assert.equal(renderTemplate('{{.Client.Version}}', version), '27.0.0'));
  test('json means {{json .}}', () => {
    assert.equal(renderTemplate('json', { B: 1, A: '<x>' }), '{"B":1,"A":"<x>"}');
  });
  test('errors carry the template name', () => {
    assert.throws(() => renderTemplate('{{.Client.Version.X}}', version, { name: 'version' }), {
      message:
        'template parsing error: template: version:1:9: executing "version" at <.Client.Version.X>: can\'t evaluate field X in type string',
    });
  });
});

describe('defaultHeader', () => {
  const cases: [string, string][] = [
    ['ID', 'ID'],
    ['Repository', 'REPOSITORY'],
    ['CreatedSince', 'CREATED SINCE'],
    ['RunningFor', 'RUNNING FOR'],
    ['IPAddress', 'IP ADDRESS'],
    ['SharedSize', 'SHARED SIZE'],
  ];
  for (const [field, want] of cases) test(field, () => assert.equal(defaultHeader(field), want));
});
