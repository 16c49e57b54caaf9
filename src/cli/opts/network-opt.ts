/** --network (opts.NetworkOpt) and the endpoint settings docker derives from it and the legacy flags (--ip, --network-alias…). */
import { isValidMAC, parseGoAtoi, readCSVRecord, goQuote } from './goparse.js';
import { cut } from './kv.js';
import { fail, messageOf } from './run-errors.js';
import type { LegacyNetOpts, NetworkAttachment, RunEndpointSettings } from './run-types.js';


/** opts.NetworkOpt.Set: a name, or the csv `name=…,alias=…,ip=…` syntax (lower-cased). */
export function parseNetworkOpt(value: string): NetworkAttachment {
  const n: NetworkAttachment = { Target: '', Aliases: [], Links: [], IPv4Address: '', IPv6Address: '', LinkLocalIPs: [], MacAddress: '', GwPriority: 0 };
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) {
    n.Target = value;
    return n;
  }
  for (const field of readCSVRecord(value)) {
    let [key, val, ok] = cut(field.toLowerCase(), '=');
    if (!ok || key === '') throw new Error(`invalid field ${field}`);
    key = key.trim();
    val = val.trim();
    switch (key) {
      case 'name':
        n.Target = val;
        break;
      case 'alias':
        n.Aliases.push(val);
        break;
      case 'ip':
        n.IPv4Address = val;
        break;
      case 'ip6':
        n.IPv6Address = val;
        break;
      case 'mac-address':
        n.MacAddress = val;
        break;
      case 'link-local-ip':
        n.LinkLocalIPs.push(val);
        break;
      case 'driver-opt': {
        const [k, v, kvOk] = cut(val, '=');
        if (!kvOk || k === '') throw new Error('invalid key value pair format in driver options');
        (n.DriverOpts ??= {})[k.trim()] = v.trim();
        break;
      }
      case 'gw-priority':
        try {
          n.GwPriority = parseGoAtoi(val);
        } catch (e) {
          throw new Error(`invalid gw-priority (${val}): ${messageOf(e).replace(/^.*: /, '')}`);
        }
        break;
      default:
        throw new Error('invalid field key ' + key);
    }
  }
  if (n.Target.length === 0) throw new Error('network name/id is not specified');
  return n;
}

const NON_USER_DEFINED = new Set(['default', 'bridge', 'host', 'none']);
const isUserDefined = (n: string): boolean => !NON_USER_DEFINED.has(n) && !n.startsWith('container:');

function endpointFor(n: NetworkAttachment): RunEndpointSettings {
  if (n.Target.trim() === '') throw fail('no name set for network');
  if (!isUserDefined(n.Target)) {
    if (n.Aliases.length > 0) throw fail('network-scoped aliases are only supported for user-defined networks');
    if (n.Links.length > 0) throw fail('links are only supported for user-defined networks');
  }
  const ep: RunEndpointSettings = {};
  if (n.Aliases.length > 0) ep.Aliases = [...n.Aliases];
  if (n.DriverOpts && Object.keys(n.DriverOpts).length > 0) ep.DriverOpts = n.DriverOpts;
  if (n.Links.length > 0) ep.Links = n.Links;
  if (n.IPv4Address !== '' || n.IPv6Address !== '' || n.LinkLocalIPs.length > 0) {
    ep.IPAMConfig = {};
    if (n.IPv4Address !== '') ep.IPAMConfig.IPv4Address = n.IPv4Address;
    if (n.IPv6Address !== '') ep.IPAMConfig.IPv6Address = n.IPv6Address;
    if (n.LinkLocalIPs.length > 0) ep.IPAMConfig.LinkLocalIPs = n.LinkLocalIPs;
  }
  if (n.MacAddress !== '') {
    if (!isValidMAC(n.MacAddress.trim())) throw fail(`${n.MacAddress} is not a valid mac address`);
    ep.MacAddress = n.MacAddress;
  }
  if (n.GwPriority !== 0) ep.GwPriority = n.GwPriority;
  return ep;
}


function applyContainerOptions(n: NetworkAttachment, c: LegacyNetOpts): void {
  if (n.Aliases.length > 0 && c.aliases.length > 0) throw fail('conflicting options: cannot specify both --network-alias and per-network alias');
  if (n.Links.length > 0 && c.links.length > 0) throw fail('conflicting options: cannot specify both --link and per-network links');
  if (n.IPv4Address !== '' && c.ipv4 !== '') throw fail('conflicting options: cannot specify both --ip and per-network IPv4 address');
  if (n.IPv6Address !== '' && c.ipv6 !== '') throw fail('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
  if (n.MacAddress !== '' && c.mac !== '') throw fail('conflicting options: cannot specify both --mac-address and per-network MAC address');
  if (n.LinkLocalIPs.length > 0 && c.linkLocalIPs.length > 0) throw fail('conflicting options: cannot specify both --link-local-ip and per-network link-local IP addresses');
  if (c.aliases.length > 0) n.Aliases = [...c.aliases];
  if (isUserDefined(n.Target) && c.links.length > 0) n.Links = [...c.links];
  if (c.ipv4 !== '') n.IPv4Address = c.ipv4;
  if (c.ipv6 !== '') n.IPv6Address = c.ipv6;
  if (c.mac !== '') n.MacAddress = c.mac;
  if (c.linkLocalIPs.length > 0) n.LinkLocalIPs = [...c.linkLocalIPs];
}

export function parseNetworkOpts(nets: NetworkAttachment[], c: LegacyNetOpts): Record<string, RunEndpointSettings> {
  const endpoints: Record<string, RunEndpointSettings> = {};
  if (nets.length === 0) {
    const n: NetworkAttachment = { Target: 'default', Aliases: [], Links: [], IPv4Address: '', IPv6Address: '', LinkLocalIPs: [], MacAddress: '', GwPriority: 0 };
    applyContainerOptions(n, c);
    endpoints['default'] = endpointFor(n);
  }
  let user = false;
  let nonUser = false;
  nets.forEach((n, i) => {
    if (isUserDefined(n.Target)) user = true;
    else nonUser = true;
    if (i === 0) applyContainerOptions(n, c);
    const ep = endpointFor(n);
    if (Object.prototype.hasOwnProperty.call(endpoints, n.Target)) throw fail(`network ${goQuote(n.Target)} is specified multiple times`);
    if (i === 0 && nets.length === 1 && Object.keys(ep).length === 0) return;
    endpoints[n.Target] = ep;
  });
  if (user && nonUser) throw fail('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return endpoints;
}
