/**
 * IP and user-agent rules, evaluated on the client address Portico trusts (the peer, or
 * `X-Forwarded-For` only through configured proxies) before authentication: a denied
 * client costs no token verification and no limiter budget. Pure core plus a thin hook;
 * a route can carry its own rules in `config.accessRules`.
 */
import safeRegex from 'safe-regex2';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { BlockList, isIP } from 'node:net';
import { PorticoError } from '../../errors';

export interface AccessRules {
  /** When set, only these IPs/CIDRs are served. */
  allow?: readonly string[];
  /** These IPs/CIDRs are refused (checked first). */
  deny?: readonly string[];
  /** User agents matching any of these regular expressions (case-insensitive) are refused. */
  denyUserAgents?: readonly string[];
}

export type AccessDecision = { allowed: true } | { allowed: false; rule: 'ip_deny' | 'ip_not_allowed' | 'user_agent' };

export interface CompiledAccessRules {
  decide(ip: string, userAgent: string | undefined): AccessDecision;
}

function blockList(entries: readonly string[], where: string): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) throw new Error(`${where}: '${entry}' is not an IP address or CIDR`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address as string, type);
    else if (!/^\d+$/.test(bits) || Number(bits) > (family === 6 ? 128 : 32)) throw new Error(`${where}: '${entry}' has an invalid prefix length`);
    else list.addSubnet(address as string, Number(bits), type);
  }
  return list;
}

function contains(list: BlockList, ip: string): boolean {
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

/** Longest part of a User-Agent header the deny patterns are matched against, in characters. */
export const MAX_USER_AGENT_LENGTH = 512;

/**
 * Compiles a configured user-agent pattern, refusing one whose matching time could grow
 * super-linearly with the input (nested or overlapping quantifiers such as `(a+)+`).
 */
function compileUserAgentPattern(pattern: string, where: string): RegExp {
  const regex = new RegExp(pattern, 'i');
  if (!safeRegex(regex)) throw new Error(`${where}: '${pattern}' could backtrack catastrophically (nested quantifiers); simplify it`);
  return regex;
}

/** Compiles rules once; throws on a malformed entry (reported at start). */
export function compileAccessRules(rules: AccessRules, where = 'policies.accessRules'): CompiledAccessRules {
  const allow = rules.allow ? blockList(rules.allow, `${where}.allow`) : undefined;
  const deny = rules.deny ? blockList(rules.deny, `${where}.deny`) : undefined;
  const agents = (rules.denyUserAgents ?? []).map((p, i) => compileUserAgentPattern(p, `${where}.denyUserAgents[${i}]`));
  return {
    decide(ip, userAgent) {
      if (deny && contains(deny, ip)) return { allowed: false, rule: 'ip_deny' };
      if (allow && !contains(allow, ip)) return { allowed: false, rule: 'ip_not_allowed' };
      if (userAgent && agents.length > 0) {
        // Client input is capped before any pattern sees it.
        const capped = userAgent.length > MAX_USER_AGENT_LENGTH ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : userAgent;
        if (agents.some((a) => a.test(capped))) return { allowed: false, rule: 'user_agent' };
      }
      return { allowed: true };
    },
  };
}

export function validateAccessRules(rules: AccessRules): string[] {
  try {
    compileAccessRules(rules);
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

export const accessRulesPlugin = fp<{ rules: AccessRules; onDenied?: (rule: string) => void }>(
  async function accessRules(app: FastifyInstance, opts) {
    const global = compileAccessRules(opts.rules);
    // A request the rules refuse goes through this hook, so the refusal is answered and counted here.
    if (app.fastPathParts) app.fastPathParts.accessRules = global;
    const perRoute = new WeakMap<object, CompiledAccessRules>();
    app.addHook('onRequest', (request, _reply, done) => {
      // Liveness and readiness stay answerable to the infrastructure probing them.
      if (request.routeOptions.url === '/healthz' || request.routeOptions.url === '/readyz') return done();
      const routeRules = request.routeOptions.config?.accessRules;
      let compiled = global;
      if (routeRules) {
        compiled = perRoute.get(routeRules) ?? compileAccessRules(routeRules, `route ${request.routeOptions.url}`);
        perRoute.set(routeRules, compiled);
      }
      const decision = compiled.decide(request.ip, request.headers['user-agent']);
      if (decision.allowed) return done();
      opts.onDenied?.(decision.rule);
      done(new PorticoError('ACCESS_DENIED'));
    });
  },
  { name: 'portico-access-rules' },
);
