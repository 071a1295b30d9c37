// Prisma CLI config. The control plane never runs the CLI: it applies prisma/migrations itself at start.
// Where the schema engine exists, `DATABASE_URL=... npx prisma migrate status` agrees with it.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
