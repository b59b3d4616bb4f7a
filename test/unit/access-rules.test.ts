import { MAX_USER_AGENT_LENGTH, compileAccessRules, validateAccessRules } from '../../shared/policies/edge/access-rules';

describe('access rules', () => {
  it('deny before allow, by address and CIDR, IPv4 and IPv6, mapped IPv4 included', () => {
    const rules = compileAccessRules({ allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.6.6.6'] });
    expect(rules.decide('10.1.2.3', undefined)).toEqual({ allowed: true });
    expect(rules.decide('::ffff:10.1.2.3', undefined)).toEqual({ allowed: true });
    expect(rules.decide('2001:db8::1', undefined)).toEqual({ allowed: true });
    expect(rules.decide('10.6.6.6', undefined)).toEqual({ allowed: false, rule: 'ip_deny' });
    expect(rules.decide('192.168.1.1', undefined)).toEqual({ allowed: false, rule: 'ip_not_allowed' });
  });

  it('refuses matching user agents, case-insensitively', () => {
    const rules = compileAccessRules({ denyUserAgents: ['sqlmap', '^curl/7\\.1'] });
    expect(rules.decide('1.2.3.4', 'SQLMap/1.7')).toEqual({ allowed: false, rule: 'user_agent' });
    expect(rules.decide('1.2.3.4', 'curl/8.5.0')).toEqual({ allowed: true });
    expect(rules.decide('1.2.3.4', undefined)).toEqual({ allowed: true });
  });

  it('reports malformed entries', () => {
    expect(validateAccessRules({ deny: ['10.0.0.0/33'] })[0]).toMatch(/invalid prefix length/);
    expect(validateAccessRules({ allow: ['example.com'] })[0]).toMatch(/not an IP address/);
    expect(validateAccessRules({ denyUserAgents: ['('] })[0]).toMatch(/Invalid regular expression/);
  });

  it('refuses patterns that could backtrack catastrophically, and matches only a capped user agent', () => {
    expect(validateAccessRules({ denyUserAgents: ['(a+)+$'] })[0]).toMatch(/denyUserAgents\[0\].*backtrack/);
    expect(validateAccessRules({ denyUserAgents: ['bot|crawler', '^python-requests/'] })).toEqual([]);
    const rules = compileAccessRules({ denyUserAgents: ['evil$'] });
    expect(rules.decide('1.2.3.4', `${'x'.repeat(MAX_USER_AGENT_LENGTH)}evil`)).toEqual({ allowed: true });
    expect(rules.decide('1.2.3.4', `${'x'.repeat(MAX_USER_AGENT_LENGTH - 4)}evil`)).toEqual({ allowed: false, rule: 'user_agent' });
  });
});
