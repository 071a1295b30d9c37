'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { apiError } from '@/lib/errors';
import { fmtDateTime } from '@/lib/format';
import { isAdmin } from '@/lib/permissions';
import { toast } from '@/lib/toast';
import { useTRPC, type RouterOutputs } from '@/lib/trpc';
import { useMe } from '../Providers';
import { Badge, Button, Card, Dialog, Empty, ErrorState, Loading, PageHeader } from '../ui';
import { NamespacesInput, RoleSelect, ShownOnce, parseNamespaces, type RoleValue } from './fields';
import { TokensCard } from './TokensCard';

type User = RouterOutputs['users']['list'][number];

/** Admins: people (invite, role, namespaces, sign-in links, sign out everywhere, remove) and API tokens. */
export function UsersPage() {
  const me = useMe();
  if (!isAdmin(me)) {
    return (
      <div className="page">
        <PageHeader title="Users & tokens" />
        <Empty title="Only admins manage people and tokens" testId="users-forbidden">
          Your role is {me?.role ?? 'unknown'}. Ask an admin if you need someone invited or a token made.
        </Empty>
      </div>
    );
  }
  return (
    <div className="page" data-testid="users-page">
      <PageHeader title="Users & tokens" subtitle="Who can sign in, with which role, and the API tokens scripts use." />
      <PeopleCard />
      <TokensCard />
    </div>
  );
}

function PeopleCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const [inviting, setInviting] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [removing, setRemoving] = useState<User | null>(null);
  const [link, setLink] = useState<{ username: string; url: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
  const signInLink = useMutation(trpc.users.signInLink.mutationOptions({ onSuccess: (l) => setLink({ username: l.username, url: l.url }), onError: (e) => toast(apiError(e).message, 'error') }));
  const revoke = useMutation(
    trpc.users.revokeSessions.mutationOptions({
      onSuccess: async (r, v) => {
        toast(`Signed out everywhere: ${r.sessions} session(s), ${r.tokens} login token(s) of ${users.data?.find((u) => u.id === v.id)?.username ?? ''}.`);
        await refresh();
      },
      onError: (e) => toast(apiError(e).message, 'error'),
    }),
  );
  const remove = useMutation(
    trpc.users.remove.mutationOptions({
      onSuccess: async (r) => {
        setRemoving(null);
        toast(`Removed ${r.username}.`);
        await refresh();
      },
      onError: (e) => toast(apiError(e).message, 'error'),
    }),
  );

  return (
    <Card
      title="People"
      testId="people"
      actions={
        <Button size="sm" variant="primary" onClick={() => setInviting(true)} data-testid="invite">
          Invite someone
        </Button>
      }
    >
      {users.isLoading ? <Loading /> : users.error ? <ErrorState error={users.error} onRetry={() => void users.refetch()} /> : null}
      {users.data ? (
        <div className="table-wrap">
          <table className="table stack-narrow">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Signs in with</th>
                <th className="num">Sessions</th>
                <th>Last sign-in</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => (
                <tr key={u.id} data-testid="user-row" data-name={u.username}>
                  <td className="mono">{u.username}</td>
                  <td data-label="Role">
                    <Badge tone={u.role === 'admin' ? 'accent' : 'neutral'} testId="user-row-role">
                      {u.role}
                      {u.role === 'editor' && u.namespaces.length ? ` · ${u.namespaces.join(', ')}` : ''}
                    </Badge>
                  </td>
                  <td data-label="Signs in with">{[u.hasPassword ? 'password' : '', u.sso ? 'SSO' : ''].filter(Boolean).join(', ') || 'link only'}</td>
                  <td data-label="Sessions" className="num">{u.sessions}</td>
                  <td data-label="Last sign-in" className="nowrap">{u.lastSignInAt ? fmtDateTime(String(u.lastSignInAt)) : '–'}</td>
                  <td className="row-actions">
                    <Button size="sm" onClick={() => setEditing(u)} data-testid="edit-user">
                      Role
                    </Button>
                    <Button size="sm" onClick={() => signInLink.mutate({ id: u.id })} title="A one-time link that signs them in (lost password)" data-testid="user-link">
                      Sign-in link
                    </Button>
                    <Button size="sm" onClick={() => revoke.mutate({ id: u.id })} disabled={u.sessions === 0 && u.tokens === 0} title="End their sessions and login tokens now" data-testid="revoke-sessions">
                      Sign out everywhere
                    </Button>
                    <Button size="sm" variant="danger" onClick={() => setRemoving(u)} data-testid="remove-user">
                      Remove
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {inviting ? <InviteDialog onClose={() => setInviting(false)} onDone={refresh} /> : null}
      {editing ? <EditDialog user={editing} onClose={() => setEditing(null)} onDone={refresh} /> : null}
      <Dialog open={!!link} onClose={() => setLink(null)} title={`Sign-in link for ${link?.username ?? ''}`} testId="link-dialog">
        {link ? <ShownOnce label="Works once, for 15 minutes. Send it to them privately." value={link.url} testId="sign-in-link" /> : null}
      </Dialog>
      <Dialog
        open={!!removing}
        onClose={() => setRemoving(null)}
        title={`Remove ${removing?.username ?? ''}?`}
        testId="remove-dialog"
        footer={
          <>
            <Button onClick={() => setRemoving(null)}>Cancel</Button>
            <Button variant="danger" disabled={remove.isPending} onClick={() => removing && remove.mutate({ id: removing.id })} data-testid="confirm-remove">
              Remove
            </Button>
          </>
        }
      >
        <p style={{ margin: 0 }}>Their sessions and tokens end now. What they changed stays in the history under their name.</p>
      </Dialog>
    </Card>
  );
}

function InviteDialog({ onClose, onDone }: { onClose: () => void; onDone: () => Promise<void> }) {
  const trpc = useTRPC();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<RoleValue>('viewer');
  const [namespaces, setNamespaces] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const create = useMutation(trpc.users.create.mutationOptions());
  const created = create.data;
  return (
    <Dialog
      open
      onClose={onClose}
      title={created ? `${created.username} is invited` : 'Invite someone'}
      testId="invite-dialog"
      footer={
        created ? (
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button
              variant="primary"
              disabled={create.isPending || !username.trim()}
              data-testid="confirm-invite"
              onClick={() => {
                setProblem(null);
                create.mutate(
                  { username, role, namespaces: role === 'editor' ? parseNamespaces(namespaces) : [] },
                  { onSuccess: () => void onDone(), onError: (e) => setProblem(apiError(e).fieldErrors.map((f) => `${f.path}: ${f.message}`).join('; ') || apiError(e).message) },
                );
              }}
            >
              Invite
            </Button>
          </>
        )
      }
    >
      {created?.link ? (
        <ShownOnce label="Send them this one-time sign-in link privately (it works once, for 15 minutes); they choose a password after." value={created.link.url} testId="invite-link" />
      ) : (
        <div className="stack">
          <div className="field">
            <label htmlFor="invite-username">Username</label>
            <input id="invite-username" className="input" value={username} onChange={(e) => setUsername(e.target.value)} placeholder="e.g. dana or dana@example.com" autoCapitalize="none" data-testid="invite-username" />
          </div>
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <RoleSelect id="invite-role" value={role} onChange={setRole} testId="invite-role" />
          </div>
          {role === 'editor' ? <NamespacesInput id="invite-namespaces" value={namespaces} onChange={setNamespaces} testId="invite-namespaces" /> : null}
          {problem ? (
            <div className="form-errors" role="alert">
              {problem}
            </div>
          ) : null}
        </div>
      )}
    </Dialog>
  );
}

function EditDialog({ user, onClose, onDone }: { user: User; onClose: () => void; onDone: () => Promise<void> }) {
  const trpc = useTRPC();
  const [role, setRole] = useState<RoleValue>(user.role);
  const [namespaces, setNamespaces] = useState(user.namespaces.join(', '));
  const update = useMutation(trpc.users.update.mutationOptions());
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <Dialog
      open
      onClose={onClose}
      title={`Role of ${user.username}`}
      testId="edit-user-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            disabled={update.isPending}
            data-testid="save-user"
            onClick={() =>
              update.mutate(
                { id: user.id, role, namespaces: role === 'editor' ? parseNamespaces(namespaces) : [] },
                {
                  onSuccess: async (u) => {
                    toast(`${u.username} is now ${u.role}${u.namespaces.length ? ` in ${u.namespaces.join(', ')}` : ''}. It applies to their next request.`);
                    await onDone();
                    onClose();
                  },
                  onError: (e) => setProblem(apiError(e).message),
                },
              )
            }
          >
            Save
          </Button>
        </>
      }
    >
      <div className="stack">
        <div className="field">
          <label htmlFor="edit-role">Role</label>
          <RoleSelect id="edit-role" value={role} onChange={setRole} testId="edit-role" />
        </div>
        {role === 'editor' ? <NamespacesInput id="edit-namespaces" value={namespaces} onChange={setNamespaces} testId="edit-namespaces" /> : null}
        {user.sso ? <p className="hint">{user.username} signs in with SSO: their role is set again from their groups at every sign-in.</p> : null}
        {problem ? (
          <div className="form-errors" role="alert">
            {problem}
          </div>
        ) : null}
      </div>
    </Dialog>
  );
}
