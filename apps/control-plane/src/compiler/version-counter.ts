import type { PrismaClient } from '../generated/prisma/client.ts';

const NAME = 'config_version';

/** Snapshot versions, kept in the database so they stay monotonic across control-plane restarts. */
export class VersionCounter {
  constructor(private readonly prisma: PrismaClient) {}

  async next(): Promise<number> {
    const row = await this.prisma.counter.upsert({
      where: { name: NAME },
      create: { name: NAME, value: 1 },
      update: { value: { increment: 1 } },
    });
    return row.value;
  }

  /** Moves the counter up to `value` if it is behind (a proxy reported a version from before a reset). */
  async atLeast(value: number): Promise<void> {
    await this.prisma.counter.upsert({ where: { name: NAME }, create: { name: NAME, value }, update: {} });
    await this.prisma.counter.updateMany({ where: { name: NAME, value: { lt: value } }, data: { value } });
  }
}
