import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type Database } from '@switchyard/db';
import { DATABASE } from '../infra/tokens';

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED' | 'DISABLED';

export interface DeliveryAttempt {
  attempt: number;
  at: Date;
  statusCode?: number;
  error?: string;
  durationMs: number;
}

/** Webhook deliveries and their attempts in Postgres. */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** The delivery with its job's row. */
  findWithJob(deliveryId: string) {
    return this.database.prisma.webhookDelivery.findUnique({ where: { id: deliveryId }, include: { job: true } });
  }

  /** Records an attempt and the delivery's status after it, together. */
  async recordAttempt(deliveryId: string, attempt: DeliveryAttempt, status: DeliveryStatus): Promise<void> {
    const prisma = this.database.prisma;
    await prisma.$transaction([
      prisma.webhookAttempt.create({ data: { deliveryId, ...attempt } }),
      prisma.webhookDelivery.update({
        where: { id: deliveryId },
        data: { attempts: attempt.attempt, status, finishedAt: status === 'PENDING' ? null : new Date() },
      }),
    ]);
  }

  /** Deletes up to `limit` attempts made before `before`, locked with SKIP LOCKED; answers how many. */
  deleteAttemptsBefore(before: Date, limit: number): Promise<number> {
    return this.database.prisma.$executeRaw(Prisma.sql`
      WITH doomed AS (
        SELECT id FROM webhook_attempts WHERE at < ${before}::timestamp(3) ORDER BY at LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )
      DELETE FROM webhook_attempts USING doomed WHERE webhook_attempts.id = doomed.id`);
  }
}
