/** docker's --format help texts (cli/flags), wrapped as cobra shows them. */

const TEMPLATE_HELP = `'json':             Print in JSON format
'TEMPLATE':         Print output using the given
Go template.
Refer to https://docs.docker.com/go/formatting/
for more information about formatting output with
templates`;

/** For list commands, which also take `table`. */
export const FORMAT_HELP = `Format output using a custom template:
'table':            Print output in table format
with column headers (default)
'table TEMPLATE':   Print output in table format
using the given Go template
${TEMPLATE_HELP}`;

/** docker's InspectFormatHelp: inspect and events. */
export const INSPECT_FORMAT_HELP = `Format output using a custom template:
${TEMPLATE_HELP}`;
