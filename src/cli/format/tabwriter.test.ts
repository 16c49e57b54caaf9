import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { TabWriter, displayWidth, tabwrite, type TabWriterOptions } from './tabwriter.js';

const DOCKER: TabWriterOptions = { minWidth: 10, tabWidth: 1, padding: 3, padChar: ' ' };

// [name, options, input, expected]
const cases: [string, TabWriterOptions, string, string][] = [
  [
    'docker images, one row',
    DOCKER,
    'REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nbusybox\tlatest\ta416a98b71e2\t2 weeks ago\t4.26MB\n',
    'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n' +
      'busybox      latest    a416a98b71e2   2 weeks ago   4.26MB\n',
  ],
  [
    // The CREATED column is as wide as its widest cell plus 3, over all rows.
    'docker images, two rows',
    DOCKER,
    'REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n' +
      'busybox\tlatest\ta416a98b71e2\t2 weeks ago\t4.26MB\n' +
      'alpine\t3.19\tb0c9d60fc5e3\t3 months ago\t7.38MB\n',
    'REPOSITORY   TAG       IMAGE ID       CREATED        SIZE\n' +
      'busybox      latest    a416a98b71e2   2 weeks ago    4.26MB\n' +
      'alpine       3.19      b0c9d60fc5e3   3 months ago   7.38MB\n',
  ],
  [
    'the last cell of a line is never padded, even when long',
    DOCKER,
    'A\tB\nx\ta much longer trailing cell\n',
    'A         B\nx         a much longer trailing cell\n',
  ],
  [
    'a trailing tab makes the last text a column cell',
    { padding: 1 },
    'a\tb\t\naa\tbb\t\n',
    'a  b  \naa bb \n',
  ],
  [
    'minwidth with a visible pad char',
    { minWidth: 8, tabWidth: 0, padding: 1, padChar: '.' },
    'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n',
    'a.......b.......c\naa......bbb.....cccc\naaa.....bbbb\n',
  ],
  [
    // A column block ends at a line without a cell in that column, so b and
    // cccc are in different blocks (the example from Go's documentation).
    'column blocks',
    { padding: 0, debug: true },
    'aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n',
    'aaaa|bbb|d\naa  |b  |dd\na   |\naa  |cccc|eee\n',
  ],
  [
    'a line without tabs separates blocks',
    { padding: 1 },
    'a\tb\nlong line here\nccccc\td\n',
    'a b\nlong line here\nccccc d\n',
  ],
  [
    'right alignment',
    { padding: 1, alignRight: true },
    'a\tbbb\tc\naaa\tb\tc\n',
    '   a bbbc\n aaa   bc\n',
  ],
  [
    'tab padding rounds cells up to tab stops',
    { minWidth: 0, tabWidth: 8, padding: 1, padChar: '\t' },
    'a\tb\naaaaaaaaa\tb\n',
    'a\t\tb\naaaaaaaaa\tb\n',
  ],
  [
    'empty soft-tab columns can be discarded',
    { padding: 1, discardEmptyColumns: true },
    'a\v\vb\nc\v\vd\n',
    'a b\nc d\n',
  ],
  [
    'formfeed ends all columns',
    { padding: 1 },
    'a\tb\fccccc\td\n',
    'a b\nccccc d\n',
  ],
  ['no trailing newline', { padding: 1 }, 'a\tb\nccc\td', 'a   b\nccc d'],
  [
    'wide runes count two columns',
    { padding: 1 },
    '名前\tx\nab\ty\n',
    '名前 x\nab   y\n',
  ],
];

describe('TabWriter', () => {
  for (const [name, opts, input, want] of cases) {
    test(name, () => assert.equal(tabwrite(input, opts), want));
  }

  test('input may arrive in pieces', () => {
    const tw = new TabWriter(DOCKER);
    for (const piece of ['REPOSI', 'TORY\tT', 'AG\nbusy', 'box\tlat', 'est\n']) tw.write(piece);
    assert.equal(tw.flush(), 'REPOSITORY   TAG\nbusybox      latest\n');
  });

  test('flush returns only new output', () => {
    const tw = new TabWriter({ padding: 1 });
    assert.equal(tw.write('a\tb\n').flush(), 'a b\n');
    assert.equal(tw.write('ccc\td\n').flush(), 'ccc d\n');
  });
});

describe('displayWidth', () => {
  const cases: [string, number][] = [
    ['abc', 3],
    ['', 0],
    ['héllo', 5],
    ['e\u0301', 1],
    ['日本語', 6],
    ['ｆｕｌｌ', 8],
    ['\x1b', 0],
  ];
  for (const [s, want] of cases) test(JSON.stringify(s), () => assert.equal(displayWidth(s), want));
});
