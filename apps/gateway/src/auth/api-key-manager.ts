import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '@switchyard/db';
import { generateWebhookSecret } from '@switchyard/outbound';
import type { SecretKeyring } from '@switchyard/secrets';
import type { RedisKeys } from '@switchyard/shared';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key-material';
import { DEFAULT_PROJECT_ID, KEY_PERMISSIONS, KEY_SCOPES } from './principal';

/** Lives a revocation marker in Redis: longer than any cache entry, after which the database answers. */
const REVOCATION_MARKER_MS = 24 * 3_600_000;

export const projectIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1–63 lower-case letters, digits, "-" or "_"');

export const newKeySchema = z
  .object({
    name: z.string().min(1).max(200),
    projectId: projectIdSchema.default(DEFAULT_PROJECT_ID),
    /** Ignored for worker keys, which are stored `restricted` to their endpoints. */
    permission: z.enum(KEY_PERMISSIONS).default('read_write'),
    scope: z.enum(KEY_SCOPES).default('api'),
    endpoints: z.array(z.string().min(1).max(200)).max(100).default([]),
    admin: z.boolean().default(false),
    /** ISO date, or a time from now in whole seconds/minutes/hours/days (`3600s`, `90d`). */
    expiresAt: z.union([z.iso.datetime({ offset: true }), z.string().regex(/^\d+[smhd]$/)]).optional(),
  })
  .strict()
  .refine((key) => key.scope === 'worker' || (key.permission === 'restricted') === key.endpoints.length > 0, {
    message: 'restricted keys need endpoints, and only restricted keys take them',
    path: ['endpoints'],
  })
  .refine((key) => key.scope === 'api' || (key.endpoints.length > 0 && !key.admin), {
    message: 'worker keys need the endpoints their workers serve, and cannot be admin keys',
    path: ['endpoints'],
  });
export type NewKey = z.input<typeof newKeySchema>;

export class KeyManagementError extends Error {
  override readonly name = 'KeyManagementError';
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function expiryOf(value: string | undefined, now: number): Date | undefined {
  if (!value) return undefined;
  const relative = /^(\d+)([smhd])$/.exec(value);
  const at = relative ? new Date(now + Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]) : new Date(value);
  if (at.getTime() <= now) throw new KeyManagementError('expiresAt must be in the future');
  return at;
}

const LISTED = {
  id: true,
  name: true,
  prefix: true,
  projectId: true,
  permission: true,
  scope: true,
  endpoints: true,
  admin: true,
  createdAt: true,
  expiresAt: true,
  revokedAt: true,
} as const;

/** Projects and API keys, managed by `npm run keys` and the admin HTTP API alike. */
export class ApiKeyManager {
  constructor(
    private readonly database: Database,
    /** Where revocations are announced to every gateway at once; without it they hold within the key cache's 30 s. */
    private readonly revocations?: { redis: { set(key: string, value: string, px: 'PX', ms: number): Promise<unknown> }; keys: RedisKeys },
    private readonly sealWebhookSecret: (secret: string, apiKeyId: string) => string = (secret) => secret,
  ) {}

  async createProject(id: string, name = id) {
    const projectId = projectIdSchema.parse(id);
    const existing = await this.database.prisma.project.findFirst({ where: { OR: [{ id: projectId }, { name }] } });
    if (existing) throw new KeyManagementError(`Project ${projectId} already exists`);
    return this.database.prisma.project.create({ data: { id: projectId, name } });
  }

  listProjects() {
    return this.database.prisma.project.findMany({ orderBy: { createdAt: 'asc' } });
  }

  /** A new key, printed once; its webhook secret is stored sealed. */
  async create(request: NewKey, now = Date.now()) {
    const parsed = newKeySchema.safeParse(request);
    if (!parsed.success) throw new KeyManagementError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'key'}: ${issue.message}`).join('; '));
    const spec = parsed.data;
    const project = await this.database.prisma.project.findUnique({ where: { id: spec.projectId } });
    if (!project) throw new KeyManagementError(`No project ${spec.projectId}: create it first`);
    const key = generateApiKey();
    const id = randomUUID();
    const webhookSecret = generateWebhookSecret();
    const row = await this.database.prisma.apiKey.create({
      data: {
        id,
        name: spec.name,
        projectId: spec.projectId,
        // A worker key is held to its endpoints by its permission too, should a route forget its scope.
        permission: spec.scope === 'worker' ? 'restricted' : spec.permission,
        scope: spec.scope,
        endpoints: spec.endpoints,
        admin: spec.admin,
        expiresAt: expiryOf(spec.expiresAt, now),
        prefix: displayPrefix(key),
        hash: hashApiKey(key),
        webhookSecret: this.sealWebhookSecret(webhookSecret, id),
      },
      select: LISTED,
    });
    return { key, webhookSecret, ...row };
  }

  list(projectId?: string) {
    return this.database.prisma.apiKey.findMany({ where: projectId ? { projectId } : {}, orderBy: { createdAt: 'asc' }, select: LISTED });
  }

  /**
   * Seals every stored secret under the keyring's current master key: values sealed with a
   * previous key, and values kept in clear from before sealing. Answers how many changed.
   */
  async rotateSecrets(keyring: SecretKeyring, context: (apiKeyId: string) => string): Promise<{ rotated: number; checked: number }> {
    let rotated = 0;
    let checked = 0;
    for (let cursor: string | undefined; ;) {
      const page = await this.database.prisma.apiKey.findMany({
        take: 500,
        ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
        orderBy: { id: 'asc' },
        select: { id: true, webhookSecret: true },
      });
      if (page.length === 0) return { rotated, checked };
      for (const row of page) {
        checked += 1;
        if (!keyring.needsRotation(row.webhookSecret)) continue;
        const sealed = keyring.rotate(row.webhookSecret, context(row.id));
        await this.database.prisma.apiKey.updateMany({ where: { id: row.id, webhookSecret: row.webhookSecret }, data: { webhookSecret: sealed } });
        rotated += 1;
      }
      cursor = page[page.length - 1].id;
    }
  }

  /** Revokes a key in the database and announces it; false when no active key has the id. */
  async revoke(apiKeyId: string): Promise<boolean> {
    const revoked = await this.database.prisma.apiKey.updateMany({ where: { id: apiKeyId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (revoked.count === 0) return false;
    if (this.revocations) await this.revocations.redis.set(this.revocations.keys.revokedApiKey(apiKeyId), '1', 'PX', REVOCATION_MARKER_MS);
    return true;
  }
}
