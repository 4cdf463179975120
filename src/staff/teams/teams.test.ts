import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../../testing/job-context.js';
import { addTestUser } from '../../testing/staff-users.js';
import { dataOf } from '../../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { loadUserPrincipal } from '../users/user-principal.js';

/** `/api/crm/teams`: teams, members and managers; a manager's team scope follows membership. */
describe('teams API', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('teams');
  });
  afterAll(() => t?.close());
  const crm = () => t.crm(a);

  it('creates, renames and deletes teams; names are unique whatever their case', async () => {
    const team = dataOf(await crm().post('/teams', { name: 'Sales East', description: 'East coast' }), 201);
    expect(team).toMatchObject({ name: 'Sales East', description: 'East coast', members: [] });
    const dup = await crm().post('/teams', { name: 'sales EAST' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');
    expect((await crm().post('/teams', { name: 'X', lead: 'y' })).status).toBe(400);
    expect((await crm().post('/teams', { name: '' })).status).toBe(400);
    const other = dataOf(await crm().post('/teams', { name: 'Sales West' }), 201);
    expect((await crm().patch(`/teams/${other.id}`, { name: 'SALES east' })).status).toBe(409);
    expect(dataOf(await crm().patch(`/teams/${other.id}`, { name: 'Sales North' })).name).toBe('Sales North');
    expect(dataOf(await crm().get(`/teams/${team.id}`)).id).toBe(team.id);
    expect(dataOf(await crm().delete(`/teams/${other.id}`))).toEqual({ id: other.id, deleted: true });
    expect((await crm().get(`/teams/${other.id}`)).status).toBe(404);
    expect((await crm().delete(`/teams/${other.id}`)).status).toBe(404);
    const names = (dataOf(await crm().get('/teams')).items as { name: string }[]).map((x) => x.name);
    expect(names).toContain('Sales East');
    expect(names).not.toContain('Sales North');
  });

  it('has several managers and members; a user may be in several teams', async () => {
    const [m1, m2, member] = await Promise.all(
      ['manager', 'manager', 'agent'].map((role) => addTestUser(t, a, { role })),
    );
    const one = dataOf(
      await crm().post('/teams', {
        name: 'Team One',
        members: [
          { userId: m1!.id, isManager: true },
          { userId: m2!.id, isManager: true },
          { userId: member!.id },
        ],
      }),
      201,
    );
    expect(one.members.map((m: { userId: string; isManager: boolean }) => [m.userId, m.isManager])).toEqual(
      expect.arrayContaining([
        [m1!.id, true],
        [m2!.id, true],
        [member!.id, false],
      ]),
    );
    const two = dataOf(await crm().post('/teams', { name: 'Team Two' }), 201);
    dataOf(await crm().post(`/teams/${two.id}/members`, { userId: member!.id, isManager: true }));
    const user = dataOf(await crm().get(`/users/${member!.id}`));
    expect(user.teams).toEqual(
      expect.arrayContaining([
        { id: one.id, name: 'Team One', isManager: false },
        { id: two.id, name: 'Team Two', isManager: true },
      ]),
    );
    // PUT replaces the membership.
    const replaced = dataOf(
      await crm().put(`/teams/${one.id}/members`, { members: [{ userId: m1!.id, isManager: true }] }),
    );
    expect(replaced.members.map((m: { userId: string }) => m.userId)).toEqual([m1!.id]);
    const unknown = await crm().put(`/teams/${one.id}/members`, {
      members: [{ userId: '00000000-0000-4000-8000-000000000000' }],
    });
    expect(unknown.status).toBe(400);
    expect((await crm().delete(`/teams/${two.id}/members/${m2!.id}`)).status).toBe(404);
    expect(dataOf(await crm().delete(`/teams/${two.id}/members/${member!.id}`)).members).toEqual([]);
  });

  it("gives a manager sight of their team members' agents, and takes it away with the membership", async () => {
    const handle = await tenantHandle(t, a.tenant.id);
    const agentA = dataOf(await crm().post('/agents', { name: 'Agent A' }), 201);
    const agentB = dataOf(await crm().post('/agents', { name: 'Agent B' }), 201);
    const userA = await addTestUser(t, a, { role: 'agent', agentId: agentA.id });
    await addTestUser(t, a, { role: 'agent', agentId: agentB.id });
    const manager = await addTestUser(t, a, { role: 'manager' });
    const seen = async () => {
      const principal = await loadUserPrincipal(handle.db, manager.id, null);
      const visibility = principal!.access.visibility('leads.read');
      return visibility.all ? 'all' : [...visibility.agentIds].sort();
    };
    // What the manager's next request sees (the cached caller of their session).
    const seenByToken = async () => {
      const caller = await t.app.services.staffAuth.users.authenticateBearer(manager.accessToken);
      const visibility = caller.access.visibility('leads.read');
      return visibility.all ? 'all' : [...visibility.agentIds].sort();
    };
    expect(await seen()).toEqual([]);
    expect(await seenByToken()).toEqual([]);
    const team = dataOf(
      await crm().post('/teams', { name: 'Visibility', members: [{ userId: manager.id, isManager: true }] }),
      201,
    );
    dataOf(await crm().post(`/teams/${team.id}/members`, { userId: userA.id }));
    expect(await seen()).toEqual([agentA.id]);
    expect(await seenByToken()).toEqual([agentA.id]);
    dataOf(await crm().delete(`/teams/${team.id}/members/${userA.id}`));
    expect(await seenByToken()).toEqual([]);
    // Through the user's teams as well.
    dataOf(await crm().patch(`/users/${userA.id}`, { teamIds: [team.id] }));
    expect(await seenByToken()).toEqual([agentA.id]);
    dataOf(await crm().delete(`/teams/${team.id}`));
    expect(await seenByToken()).toEqual([]);
  });
});
