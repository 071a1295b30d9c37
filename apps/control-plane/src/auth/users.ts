import type { Database } from '../db/open.ts';
import type { User } from '../generated/prisma/client.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import { ROLES, type Role } from './permissions.ts';

export type { User };

/** Lowercase letters, digits and . _ @ - (an email address works), up to 100 characters. */
const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,99}$/;
/** A namespace name, as Kubernetes spells them. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function usernameProblem(name: string): string | null {
  return USERNAME.test(name) ? null : 'use lowercase letters, digits and . _ @ - (up to 100 characters, starting with a letter or digit)';
}

export function checkRole(role: string, path = 'role'): Role {
  if ((ROLES as readonly string[]).includes(role)) return role as Role;
  throw new ValidationError([{ path, message: `must be one of ${ROLES.join(', ')}` }], 'invalid input');
}

export function checkNamespaces(namespaces: string[], path = 'namespaces'): string[] {
  const bad = namespaces.find((n) => !NAMESPACE.test(n));
  if (bad !== undefined) throw new ValidationError([{ path, message: `"${bad}" is not a namespace name (lowercase letters, digits and -)` }], 'invalid input');
  return [...new Set(namespaces)].sort();
}

/** People: local accounts and those who sign in with SSO. */
export class UserStore {
  constructor(private readonly prisma: Database) {}

  count(): Promise<number> {
    return this.prisma.user.count();
  }

  byName(username: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { username: username.toLowerCase() } });
  }

  byId(id: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { id } });
  }

  byOidcSubject(subject: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { oidcSubject: subject } });
  }

  async get(id: string): Promise<User> {
    const user = await this.byId(id);
    if (!user) throw new NotFoundError(`user ${id} not found`);
    return user;
  }

  list() {
    return this.prisma.user.findMany({
      orderBy: { username: 'asc' },
      include: {
        _count: { select: { sessions: { where: { revokedAt: null, expiresAt: { gt: new Date() } } }, tokens: { where: { revokedAt: null } } } },
      },
    });
  }

  /** Creates a person; without a password they sign in with a sign-in link (or SSO) and set one later. */
  async create(input: { username: string; role: Role; namespaces?: string[]; password?: string; oidcSubject?: string }): Promise<User> {
    const username = input.username.trim().toLowerCase();
    const problems = [
      ...(usernameProblem(username) ? [{ path: 'username', message: usernameProblem(username) ?? '' }] : []),
      ...(input.password !== undefined && passwordProblem(input.password) ? [{ path: 'password', message: passwordProblem(input.password) ?? '' }] : []),
    ];
    if (problems.length) throw new ValidationError(problems, 'invalid user');
    const namespaces = checkNamespaces(input.namespaces ?? []);
    if (await this.byName(username)) throw new ConflictError(`a user named "${username}" already exists`);
    return this.prisma.user.create({
      data: {
        username,
        role: checkRole(input.role),
        namespaces,
        passwordHash: input.password === undefined ? null : await hashPassword(input.password),
        oidcSubject: input.oidcSubject ?? null,
      },
    });
  }

  /** Changes role and namespaces; the last admin cannot stop being one. */
  async update(id: string, change: { role?: Role; namespaces?: string[] }): Promise<User> {
    const user = await this.get(id);
    const role = change.role === undefined ? user.role : checkRole(change.role);
    if (user.role === 'admin' && role !== 'admin') await this.assertAnotherAdmin(id);
    return this.prisma.user.update({
      where: { id },
      data: { role, ...(change.namespaces === undefined ? {} : { namespaces: checkNamespaces(change.namespaces) }) },
    });
  }

  async setPassword(id: string, password: string): Promise<void> {
    const problem = passwordProblem(password);
    if (problem) throw new ValidationError([{ path: 'newPassword', message: problem }], 'invalid password');
    await this.prisma.user.update({ where: { id }, data: { passwordHash: await hashPassword(password) } });
  }

  /** Removes a person with their sessions, tokens and links; the last admin stays. */
  async remove(id: string): Promise<User> {
    const user = await this.get(id);
    if (user.role === 'admin') await this.assertAnotherAdmin(id);
    return this.prisma.user.delete({ where: { id } });
  }

  recordSignIn(id: string): Promise<unknown> {
    return this.prisma.user.update({ where: { id }, data: { lastSignInAt: new Date() } });
  }

  /** The oldest admin (the one the first run created, unless removed). */
  firstAdmin(): Promise<User | null> {
    return this.prisma.user.findFirst({ where: { role: 'admin' }, orderBy: { createdAt: 'asc' } });
  }

  private async assertAnotherAdmin(id: string): Promise<void> {
    const others = await this.prisma.user.count({ where: { role: 'admin', id: { not: id } } });
    if (others === 0) throw new ConflictError('this is the last admin: make someone else an admin first');
  }
}
