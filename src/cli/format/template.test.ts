import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Template, TemplateError, defineFunc, runTemplate } from './template.js';

const container = {
  Id: 'abc123def456',
  Name: '/web',
  Config: { Env: ['A=1', 'B=2'], Labels: { 'com.example': 'y', 'a.b': 'x' }, Cmd: null, Tty: false },
  State: { Status: 'running', Pid: 1234, Health: null, ExitCode: 0 },
  NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] } },
  Size: 4261000,
  Ratio: 0.5,
  Html: '<b>&',
  Unsorted: { b: 2, c: 3, a: 1 },
};

// [template, expected output]
const outputs: [string, string][] = [
  ['plain text', 'plain text'],
  ['{{.Name}}', '/web'],
  ['{{.}}', "map[Config:map[Cmd:<nil> Env:[A=1 B=2] Labels:map[a.b:x com.example:y] Tty:false] Html:<b>& Id:abc123def456 Name:/web NetworkSettings:map[Ports:map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]]] Ratio:0.5 Size:4261000 State:map[ExitCode:0 Health:<nil> Pid:1234 Status:running] Unsorted:map[a:1 b:2 c:3]]"],
  // Go's %v of slices and maps
  ['{{.Config.Env}}', '[A=1 B=2]'],
  ['{{.Config.Labels}}', 'map[a.b:x com.example:y]'],
  ['{{.Config.Cmd}}', '<nil>'],
  ['{{.Config.Tty}}', 'false'],
  ['{{.State.Pid}} {{.Size}} {{.Ratio}}', '1234 4261000 0.5'],
  ['{{(index .NetworkSettings.Ports "80/tcp")}}', '[map[HostIp:0.0.0.0 HostPort:8080]]'],
  // missing keys print like a missing Go map key, however deep
  ['{{.Missing}}', '<no value>'],
  ['{{.Missing.Deeper.Still}}', '<no value>'],
  ['{{print .Missing}}', '<nil>'],
  // index
  ['{{index .Config.Labels "a.b"}}', 'x'],
  ['{{index .Config.Labels "nope"}}', ''],
  ['{{index .Config.Env 1}}', 'B=2'],
  ['{{index .NetworkSettings.Ports "80/tcp" 0 "HostPort"}}', '8080'],
  // json: compact, field order kept, HTML not escaped (docker turns that off)
  ['{{json .Config}}', '{"Env":["A=1","B=2"],"Labels":{"com.example":"y","a.b":"x"},"Cmd":null,"Tty":false}'],
  ['{{json .Html}}', '"<b>&"'],
  ['{{json .Missing}}', 'null'],
  ['{{json .Ratio}} {{json .Size}}', '0.5 4261000'],
  // range
  ['{{range $k, $v := .Unsorted}}{{$k}}={{$v}} {{end}}', 'a=1 b=2 c=3 '],
  ['{{range .Unsorted}}{{.}}{{end}}', '123'],
  ['{{range .Config.Env}}[{{.}}]{{end}}', '[A=1][B=2]'],
  ['{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{end}}', '0:A=1 1:B=2 '],
  ['{{range $e := .Config.Env}}{{$e}}{{end}}', 'A=1B=2'],
  ['{{range .Nothing}}x{{else}}empty{{end}}', 'empty'],
  ['{{range .Config.Cmd}}x{{else}}nil is empty{{end}}', 'nil is empty'],
  ['{{range .Config.Env}}{{if eq . "B=2"}}{{break}}{{end}}{{.}}{{end}}', 'A=1'],
  ['{{range .Config.Env}}{{if eq . "A=1"}}{{continue}}{{end}}{{.}}{{end}}', 'B=2'],
  ['{{range $p, $b := .NetworkSettings.Ports}}{{$p}} -> {{(index $b 0).HostPort}}{{end}}', '80/tcp -> 8080'],
  ['{{range 3}}{{.}}{{end}}', '012'],
  // if / else if / with
  ['{{if .State.Health}}h{{else if eq .State.Status "running"}}up{{else}}down{{end}}', 'up'],
  ['{{if .Config.Env}}has env{{end}}', 'has env'],
  ['{{if .Config.Tty}}tty{{else}}no tty{{end}}', 'no tty'],
  ['{{with .State}}{{.Status}}{{end}}', 'running'],
  ['{{with .State.Health}}x{{else}}none{{end}}', 'none'],
  ['{{with .Missing}}x{{else with .State}}{{.Pid}}{{end}}', '1234'],
  // variables
  ['{{$n := .Name}}{{with .State}}{{$n}}:{{.Status}}{{end}}', '/web:running'],
  ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
  ['{{with .State}}{{$.Name}}{{end}}', '/web'],
  ['{{$c := .Config}}{{$c.Env}}', '[A=1 B=2]'],
  // pipelines and parentheses
  ['{{.Name | printf "%q"}}', '"/web"'],
  ['{{"x" | printf "%s-%s" "y"}}', 'y-x'],
  ['{{printf "%s" (index .Config.Env 0)}}', 'A=1'],
  ['{{(.State).Status}}', 'running'],
  // literals
  ['{{"a\\tb\\u00e9"}}', 'a\tbé'],
  ['{{`raw\\n`}}', 'raw\\n'],
  ["{{1.5}} {{42}} {{-7}} {{0x1F}} {{1e3}} {{true}} {{'a'}}", '1.5 42 -7 31 1000 true 97'],
  // trim markers and comments
  ['a  {{- "b" -}}  c', 'abc'],
  ['a\n  {{- /* gone */ -}}\n  b', 'ab'],
  ['x{{/* hi */}}y', 'xy'],
  ['{{- .Name -}}\n', '/web'],
  ['{{3 -}} {{- 4}}', '34'],
  // logic and comparison
  ['{{and 1 0 2}}|{{or 0 "" "z"}}|{{not .Config.Tty}}', '0|z|true'],
  ['{{and false (index .Config.Env 9)}}', 'false'],
  ['{{or .Missing "default"}}', 'default'],
  ['{{eq .State.Pid 1234}} {{ne .Name "/x"}} {{lt 1 2}} {{ge "b" "a"}} {{eq .Name "a" "/web"}}', 'true true true true true'],
  ['{{eq .Missing "x"}} {{eq .Missing nil}} {{le 2 2}} {{gt 1.5 2}}', 'false true true false'],
  // len, slice
  ['{{len .Config.Env}} {{len .Config.Labels}} {{len "héllo"}}', '2 2 6'],
  ['{{slice .Name 1 3}} {{slice .Config.Env 1}} {{slice .Name}}', 'we [B=2] /web'],
  // print family
  ['{{print "a" 1 2 "b"}}', 'a1 2b'],
  ['{{println "a" 1}}', 'a 1\n'],
  ['{{printf "%-8s|%5d|%.2f|%v|%x|%t|%05.1f" "ab" 42 3.14159 .Config.Env 255 true 2.25}}', 'ab      |   42|3.14|[A=1 B=2]|ff|true|002.2'],
  ['{{printf "%s %d" "a"}}', 'a %!d(MISSING)'],
  // docker's functions
  ['{{upper .Name}} {{lower "ABC"}} {{title "hello wide_world"}}', '/WEB abc Hello Wide_world'],
  ['{{split "a,b,c" ","}} {{len (split "a,b" ",")}}', '[a b c] 2'],
  ['{{join .Config.Env ";"}}', 'A=1;B=2'],
  ['{{pad .Name 1 2}}|{{pad "" 1 2}}|', ' /web  ||'],
  ['{{truncate .Id 6}} {{truncate "ab" 5}}', 'abc123 ab'],
  // escapers
  ['{{html .Html}} {{urlquery "a b&c"}} {{js "it\'s"}}', "&lt;b&gt;&amp; a+b%26c it\\'s"],
];

describe('template output', () => {
  for (const [tmpl, want] of outputs) {
    test(JSON.stringify(tmpl), () => assert.equal(runTemplate(tmpl, container), want));
  }
});

// [template, expected error message]
const parseErrors: [string, string][] = [
  ['{{foo}}', 'template: :1: function "foo" not defined'],
  ['line one\n{{foo}}', 'template: :2: function "foo" not defined'],
  ['{{.Name', 'template: :1: unclosed action'],
  ['{{if .Name}}x', 'template: :1: unexpected EOF'],
  ['{{end}}', 'template: :1: unexpected {{end}}'],
  ['{{else}}', 'template: :1: unexpected {{else}}'],
  ['{{$x}}', 'template: :1: undefined variable "$x"'],
  ['{{if true}}{{$x := 1}}{{end}}{{$x}}', 'template: :1: undefined variable "$x"'],
  ['{{range .X}}{{else}}{{else}}{{end}}', 'template: :1: expected end; found {{else}}'],
  ['{{break}}', 'template: :1: {{break}} outside {{range}}'],
  ['{{"abc}}', 'template: :1: unterminated quoted string'],
  ['{{"\\q"}}', 'template: :1: invalid syntax'],
  ['{{.Name | 3}}', 'template: :1: non executable command in pipeline stage 2'],
  ['{{if}}{{end}}', 'template: :1: missing value for if'],
  ['{{(1}}', 'template: :1: unclosed left paren'],
  // Go's parser meets the ")" token before the lexer's error about it
  ['{{)}}', 'template: :1: unexpected ")" in command'],
  ['{{/* x }}', 'template: :1: unclosed comment'],
  ['{{/* x */ .Name}}', 'template: :1: comment ends before closing delimiter'],
  ['{{.a#}}', "template: :1: bad character U+0023 '#'"],
  ['{{.Name}', 'template: :1: unexpected "}" in operand'],
  ['{{3x}}', 'template: :1: bad number syntax: "3x"'],
  ['{{"a".B}}', 'template: :1: unexpected . after term "\\"a\\""'],
  ['{{template "x"}}', 'template: :1: {{template}} is not supported'],
];

describe('parse errors', () => {
  for (const [tmpl, want] of parseErrors) {
    test(JSON.stringify(tmpl), () => {
      assert.throws(() => Template.parse(tmpl), (err: unknown) => {
        assert.ok(err instanceof TemplateError);
        assert.equal(err.message, want);
        return true;
      });
    });
  }
});

const execErrors: [string, string][] = [
  ['{{.State.Health.Status}}', 'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status'],
  ['{{.Name.Foo}}', 'template: :1:7: executing "" at <.Name.Foo>: can\'t evaluate field Foo in type string'],
  ['{{index .Config.Env 5}}', 'template: :1:2: executing "" at <index .Config.Env 5>: error calling index: index out of range: 5'],
  ['{{len 3}}', 'template: :1:2: executing "" at <len 3>: error calling len: len of type int'],
  ['{{lt 1 "a"}}', 'template: :1:2: executing "" at <lt 1 "a">: error calling lt: incompatible types for comparison'],
  ['{{upper 3}}', 'template: :1:2: executing "" at <upper 3>: wrong type for value; expected string; got int'],
  ['{{printf}}', 'template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0'],
  ['{{not 1 2}}', 'template: :1:2: executing "" at <not>: wrong number of args for not: want 1 got 2'],
  ['{{range .Name}}{{end}}', 'template: :1:8: executing "" at <.Name>: range can\'t iterate over /web'],
  ['{{.Name 1}}', 'template: :1:2: executing "" at <.Name>: Name is not a method but has arguments'],
  ['{{nil}}', 'template: :1:2: executing "" at <nil>: nil is not a command'],
  ['{{"x" 1}}', 'template: :1:2: executing "" at <"x">: can\'t give argument to non-function "x"'],
  // Like Go, a field chain is positioned at its second field.
  ['\n  {{ .Config.Env.X }}', 'template: :2:12: executing "" at <.Config.Env.X>: can\'t evaluate field X in type []interface {}'],
];

describe('execution errors', () => {
  for (const [tmpl, want] of execErrors) {
    test(JSON.stringify(tmpl), () => assert.throws(() => runTemplate(tmpl, container), { message: want }));
  }

  test('keep the output written before the error', () => {
    assert.throws(
      () => runTemplate('ab{{.Name}}{{.Name.Foo}}cd', container),
      (err: unknown) => err instanceof TemplateError && err.output === 'ab/web',
    );
  });

  test('use the template name', () => {
    assert.throws(() => Template.parse('{{foo}}', { name: 'version' }), {
      message: 'template: version:1: function "foo" not defined',
    });
    assert.throws(() => runTemplate('{{.A.B}}', { A: 1 }, { name: 'version' }), {
      message: 'template: version:1:4: executing "version" at <.A.B>: can\'t evaluate field B in type int',
    });
  });
});

describe('template options', () => {
  test('missingkey=error', () => {
    const t = Template.parse('{{.Config.Nope}}');
    assert.equal(t.execute(container), '<no value>');
    assert.throws(() => t.execute(container, { missingKey: 'error' }), {
      message: 'template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope"',
    });
  });

  test('function-valued fields act as methods', () => {
    const row = { Labels: 'a=1,b=2', Label: (k: string) => (k === 'b' ? '2' : '') };
    assert.equal(runTemplate('{{.Label "b"}}|{{.Label "z"}}', row), '2|');
    assert.equal(runTemplate('{{"b" | .Label}}', row), '2');
  });

  test('custom and overriding functions', () => {
    const shout = defineFunc(1, false, ([s]) => String(s) + '!');
    const t = Template.parse('{{shout .Name}} {{upper .Name}}', { funcs: { shout } });
    assert.equal(t.execute(container), '/web! /WEB');
    assert.equal(t.execute(container, { funcs: { upper: defineFunc(1, false, () => 'UP') } }), '/web! UP');
  });

  test('a parsed template runs many times', () => {
    const t = Template.parse('{{.N}}');
    assert.deepEqual([1, 2, 3].map((N) => t.execute({ N })), ['1', '2', '3']);
  });
});
