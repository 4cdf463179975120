import { describe, expect, it } from 'vitest';
import { Access, everyLead } from './access.js';

describe('Access', () => {
  it('gives every API-key request the one tenant-wide access, not a new one per request', () => {
    const access = Access.tenantWide();
    expect(Access.tenantWide()).toBe(access);
    expect(access.visibility('leads.read')).toEqual(everyLead);
    expect(access.can('channels.manage')).toBe(true);
  });

  it('reaches a user only as far as the role scopes say', () => {
    const access = Access.ofUser(['leads.read:own', 'leads.write:team'], 'agent-1', ['agent-2']);
    expect(access.visibility('leads.read')).toEqual({ all: false, agentIds: ['agent-1'] });
    expect(access.visibility('leads.write')).toEqual({ all: false, agentIds: ['agent-1', 'agent-2'] });
    expect(access.can('leads.assign')).toBe(false);
  });
});
