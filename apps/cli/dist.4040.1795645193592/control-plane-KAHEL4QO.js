import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);
import {
  API_VERSION,
  HEARTBEAT_INTERVAL_MS,
  STREAM_PATH,
  describeErrors,
  formatIssues,
  histogramQuantile,
  ms,
  parseResource,
  proxyMessage,
  resolveKind
} from "./chunk-YSHB62M6.js";
import {
  cliEnv,
  parseCommandArgs,
  parsePort
} from "./chunk-PHGOFVAU.js";
import {
  CliError
} from "./chunk-EUPKLWFB.js";

// apps/cli/src/commands/control-plane.ts
import path5 from "node:path";

// apps/control-plane/src/index.ts
import path4 from "node:path";

// apps/control-plane/src/db/open.ts
import { execFile } from "node:child_process";
import { cp, mkdir, readFile as readFile2, rename, rm } from "node:fs/promises";
import os from "node:os";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import path3 from "node:path";
import { fileURLToPath as fileURLToPath2, pathToFileURL } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

// apps/control-plane/src/generated/prisma/client.ts
import "node:process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import "@prisma/client/runtime/client";

// apps/control-plane/src/generated/prisma/internal/class.ts
import * as runtime from "@prisma/client/runtime/client";
var config = {
  "previewFeatures": [],
  "clientVersion": "7.10.1",
  "engineVersion": "d1b3f377ca835d73fd50954a5e22128b9ebdd6b8",
  "activeProvider": "postgresql",
  "inlineSchema": '// Trellis storage. Migrations in ./migrations are plain SQL in Prisma\'s layout; the control plane applies\n// pending ones itself at start (apps/control-plane/src/db/migrate.ts) and records them in\n// _prisma_migrations as `prisma migrate deploy` would.\n\ngenerator client {\n  provider     = "prisma-client"\n  output       = "../apps/control-plane/src/generated/prisma"\n  moduleFormat = "esm"\n}\n\ndatasource db {\n  provider = "postgresql"\n}\n\n/// The current state of every resource a user applied (Service, TrafficSplit, RetryPolicy, ...).\nmodel Resource {\n  id          String   @id @default(uuid()) @db.Uuid\n  kind        String\n  namespace   String\n  name        String\n  /// The current revision number; a writer that names an older one gets a conflict.\n  revision    Int\n  labels      Json     @default("{}")\n  annotations Json     @default("{}")\n  spec        Json\n  createdAt   DateTime @default(now()) @map("created_at")\n  updatedAt   DateTime @updatedAt @map("updated_at")\n\n  @@unique([kind, namespace, name])\n  @@index([namespace, kind])\n  @@map("resources")\n}\n\nenum RevisionAction {\n  CREATE\n  UPDATE\n  DELETE\n  ROLLBACK\n}\n\n/// Every write of every resource, kept after the resource is deleted: history, diff and rollback read it.\nmodel Revision {\n  id        String         @id @default(uuid()) @db.Uuid\n  kind      String\n  namespace String\n  name      String\n  revision  Int\n  action    RevisionAction\n  author    String\n  note      String?\n  /// The resource before and after this write (null before a create, after a delete).\n  before    Json?\n  after     Json?\n  createdAt DateTime       @default(now()) @map("created_at")\n\n  @@unique([kind, namespace, name, revision])\n  @@index([createdAt(sort: Desc)])\n  @@map("revisions")\n}\n\n/// Who tried to change what, and whether it was accepted; refused writes are recorded too.\nmodel AuditEntry {\n  id        BigInt   @id @default(autoincrement())\n  at        DateTime @default(now())\n  actor     String\n  action    String\n  kind      String\n  namespace String\n  name      String\n  /// ok, invalid, conflict or not-found.\n  outcome   String\n  detail    String?\n\n  @@index([at])\n  @@map("audit_log")\n}\n\n/// Counters the control plane must keep monotonic across restarts (the config snapshot version).\nmodel Counter {\n  name  String @id\n  value Int\n\n  @@map("counters")\n}\n\n/// One span of a trace: a request a proxy received (server) or one attempt it sent (client).\nmodel Span {\n  spanId       String   @id @map("span_id")\n  traceId      String   @map("trace_id")\n  parentSpanId String?  @map("parent_span_id")\n  /// server or client.\n  kind         String\n  /// The service whose proxy recorded it.\n  service      String\n  /// The other side: the caller of a server span, the destination of a client span.\n  peerService  String?  @map("peer_service")\n  /// The route name (or the request path when no route matched).\n  name         String\n  startTime    DateTime @map("start_time")\n  durationMs   Float    @map("duration_ms")\n  status       Int\n  error        Boolean\n  attributes   Json     @default("{}")\n\n  @@index([traceId])\n  @@index([service, startTime(sort: Desc)])\n  @@index([startTime(sort: Desc)])\n  @@index([durationMs])\n  @@map("spans")\n}\n',
  "runtimeDataModel": {
    "models": {},
    "enums": {},
    "types": {}
  },
  "parameterizationSchema": {
    "strings": [],
    "graph": ""
  }
};
config.runtimeDataModel = JSON.parse('{"models":{"Resource":{"fields":[{"name":"id","kind":"scalar","type":"String"},{"name":"kind","kind":"scalar","type":"String"},{"name":"namespace","kind":"scalar","type":"String"},{"name":"name","kind":"scalar","type":"String"},{"name":"revision","kind":"scalar","type":"Int"},{"name":"labels","kind":"scalar","type":"Json"},{"name":"annotations","kind":"scalar","type":"Json"},{"name":"spec","kind":"scalar","type":"Json"},{"name":"createdAt","kind":"scalar","type":"DateTime","dbName":"created_at"},{"name":"updatedAt","kind":"scalar","type":"DateTime","dbName":"updated_at"}],"dbName":"resources","schema":null},"Revision":{"fields":[{"name":"id","kind":"scalar","type":"String"},{"name":"kind","kind":"scalar","type":"String"},{"name":"namespace","kind":"scalar","type":"String"},{"name":"name","kind":"scalar","type":"String"},{"name":"revision","kind":"scalar","type":"Int"},{"name":"action","kind":"enum","type":"RevisionAction"},{"name":"author","kind":"scalar","type":"String"},{"name":"note","kind":"scalar","type":"String"},{"name":"before","kind":"scalar","type":"Json"},{"name":"after","kind":"scalar","type":"Json"},{"name":"createdAt","kind":"scalar","type":"DateTime","dbName":"created_at"}],"dbName":"revisions","schema":null},"AuditEntry":{"fields":[{"name":"id","kind":"scalar","type":"BigInt"},{"name":"at","kind":"scalar","type":"DateTime"},{"name":"actor","kind":"scalar","type":"String"},{"name":"action","kind":"scalar","type":"String"},{"name":"kind","kind":"scalar","type":"String"},{"name":"namespace","kind":"scalar","type":"String"},{"name":"name","kind":"scalar","type":"String"},{"name":"outcome","kind":"scalar","type":"String"},{"name":"detail","kind":"scalar","type":"String"}],"dbName":"audit_log","schema":null},"Counter":{"fields":[{"name":"name","kind":"scalar","type":"String"},{"name":"value","kind":"scalar","type":"Int"}],"dbName":"counters","schema":null},"Span":{"fields":[{"name":"spanId","kind":"scalar","type":"String","dbName":"span_id"},{"name":"traceId","kind":"scalar","type":"String","dbName":"trace_id"},{"name":"parentSpanId","kind":"scalar","type":"String","dbName":"parent_span_id"},{"name":"kind","kind":"scalar","type":"String"},{"name":"service","kind":"scalar","type":"String"},{"name":"peerService","kind":"scalar","type":"String","dbName":"peer_service"},{"name":"name","kind":"scalar","type":"String"},{"name":"startTime","kind":"scalar","type":"DateTime","dbName":"start_time"},{"name":"durationMs","kind":"scalar","type":"Float","dbName":"duration_ms"},{"name":"status","kind":"scalar","type":"Int"},{"name":"error","kind":"scalar","type":"Boolean"},{"name":"attributes","kind":"scalar","type":"Json"}],"dbName":"spans","schema":null}},"enums":{},"types":{}}');
config.parameterizationSchema = {
  strings: JSON.parse('["where","Resource.findUnique","Resource.findUniqueOrThrow","orderBy","cursor","Resource.findFirst","Resource.findFirstOrThrow","Resource.findMany","data","Resource.createOne","Resource.createMany","Resource.createManyAndReturn","Resource.updateOne","Resource.updateMany","Resource.updateManyAndReturn","create","update","Resource.upsertOne","Resource.deleteOne","Resource.deleteMany","having","_count","_avg","_sum","_min","_max","Resource.groupBy","Resource.aggregate","Revision.findUnique","Revision.findUniqueOrThrow","Revision.findFirst","Revision.findFirstOrThrow","Revision.findMany","Revision.createOne","Revision.createMany","Revision.createManyAndReturn","Revision.updateOne","Revision.updateMany","Revision.updateManyAndReturn","Revision.upsertOne","Revision.deleteOne","Revision.deleteMany","Revision.groupBy","Revision.aggregate","AuditEntry.findUnique","AuditEntry.findUniqueOrThrow","AuditEntry.findFirst","AuditEntry.findFirstOrThrow","AuditEntry.findMany","AuditEntry.createOne","AuditEntry.createMany","AuditEntry.createManyAndReturn","AuditEntry.updateOne","AuditEntry.updateMany","AuditEntry.updateManyAndReturn","AuditEntry.upsertOne","AuditEntry.deleteOne","AuditEntry.deleteMany","AuditEntry.groupBy","AuditEntry.aggregate","Counter.findUnique","Counter.findUniqueOrThrow","Counter.findFirst","Counter.findFirstOrThrow","Counter.findMany","Counter.createOne","Counter.createMany","Counter.createManyAndReturn","Counter.updateOne","Counter.updateMany","Counter.updateManyAndReturn","Counter.upsertOne","Counter.deleteOne","Counter.deleteMany","Counter.groupBy","Counter.aggregate","Span.findUnique","Span.findUniqueOrThrow","Span.findFirst","Span.findFirstOrThrow","Span.findMany","Span.createOne","Span.createMany","Span.createManyAndReturn","Span.updateOne","Span.updateMany","Span.updateManyAndReturn","Span.upsertOne","Span.deleteOne","Span.deleteMany","Span.groupBy","Span.aggregate","AND","OR","NOT","spanId","traceId","parentSpanId","kind","service","peerService","name","startTime","durationMs","status","error","attributes","equals","string_contains","string_starts_with","string_ends_with","array_starts_with","array_ends_with","array_contains","lt","lte","gt","gte","not","in","notIn","contains","startsWith","endsWith","value","id","at","actor","action","namespace","outcome","detail","revision","RevisionAction","author","note","before","after","createdAt","kind_namespace_name_revision","labels","annotations","spec","updatedAt","kind_namespace_name","set","increment","decrement","multiply","divide"]'),
  graph: "1gEzUA5cAACzAQAwXQAABAAQXgAAswEAMGIBAJUBACFlAQCVAQAhfQEAAAABgQEBAJUBACGEAQIAmQEAIYoBQACXAQAhjAEAAJsBACCNAQAAmwEAII4BAACbAQAgjwFAAJcBACGQAQAAtAEAIAEAAAABACABAAAAAQAgDVwAALMBADBdAAAEABBeAACzAQAwYgEAlQEAIWUBAJUBACF9AQCtAQAhgQEBAJUBACGEAQIAmQEAIYoBQACXAQAhjAEAAJsBACCNAQAAmwEAII4BAACbAQAgjwFAAJcBACEAAwAAAAQAIAMAAAUAMAQAAAEAIAMAAAAEACADAAAFADAEAAABACADAAAABAAgAwAABQAwBAAAAQAgCmIBAAAAAWUBAAAAAX0BAAAAAYEBAQAAAAGEAQIAAAABigFAAAAAAYwBgAAAAAGNAYAAAAABjgGAAAAAAY8BQAAAAAEBCAAACQAgCmIBAAAAAWUBAAAAAX0BAAAAAYEBAQAAAAGEAQIAAAABigFAAAAAAYwBgAAAAAGNAYAAAAABjgGAAAAAAY8BQAAAAAEBCAAACwAwAQgAAAsAMApiAQC7AQAhZQEAuwEAIX0BALsBACGBAQEAuwEAIYQBAgC_AQAhigFAAL0BACGMAYAAAAABjQGAAAAAAY4BgAAAAAGPAUAAvQEAIQIAAAABACAIAAAOACAKYgEAuwEAIWUBALsBACF9AQC7AQAhgQEBALsBACGEAQIAvwEAIYoBQAC9AQAhjAGAAAAAAY0BgAAAAAGOAYAAAAABjwFAAL0BACECAAAABAAgCAAAEAAgAgAAAAQAIAgAABAAIAMAAAABACAPAAAJACAQAAAOACABAAAAAQAgAQAAAAQAIAUVAADSAQAgFgAA0wEAIBcAANYBACAYAADVAQAgGQAA1AEAIA1cAACyAQAwXQAAFwAQXgAAsgEAMGIBAH8AIWUBAH8AIX0BAKUBACGBAQEAfwAhhAECAIMBACGKAUAAgQEAIYwBAACFAQAgjQEAAIUBACCOAQAAhQEAII8BQACBAQAhAwAAAAQAIAMAABYAMBQAABcAIAMAAAAEACADAAAFADAEAAABACAPXAAArAEAMF0AAB0AEF4AAKwBADBiAQCVAQAhZQEAlQEAIX0BAAAAAYABAACuAYYBIoEBAQCVAQAhhAECAJkBACGGAQEAlQEAIYcBAQCWAQAhiAEAAK8BACCJAQAArwEAIIoBQACXAQAhiwEAALEBACABAAAAGgAgAQAAABoAIA5cAACsAQAwXQAAHQAQXgAArAEAMGIBAJUBACFlAQCVAQAhfQEArQEAIYABAACuAYYBIoEBAQCVAQAhhAECAJkBACGGAQEAlQEAIYcBAQCWAQAhiAEAAK8BACCJAQAArwEAIIoBQACXAQAhA4cBAAC1AQAgiAEAALUBACCJAQAAtQEAIAMAAAAdACADAAAeADAEAAAaACADAAAAHQAgAwAAHgAwBAAAGgAgAwAAAB0AIAMAAB4AMAQAABoAIAtiAQAAAAFlAQAAAAF9AQAAAAGAAQAAAIYBAoEBAQAAAAGEAQIAAAABhgEBAAAAAYcBAQAAAAGIAYAAAAABiQGAAAAAAYoBQAAAAAEBCAAAIgAgC2IBAAAAAWUBAAAAAX0BAAAAAYABAAAAhgECgQEBAAAAAYQBAgAAAAGGAQEAAAABhwEBAAAAAYgBgAAAAAGJAYAAAAABigFAAAAAAQEIAAAkADABCAAAJAAwC2IBALsBACFlAQC7AQAhfQEAuwEAIYABAADRAYYBIoEBAQC7AQAhhAECAL8BACGGAQEAuwEAIYcBAQC8AQAhiAGAAAAAAYkBgAAAAAGKAUAAvQEAIQIAAAAaACAIAAAnACALYgEAuwEAIWUBALsBACF9AQC7AQAhgAEAANEBhgEigQEBALsBACGEAQIAvwEAIYYBAQC7AQAhhwEBALwBACGIAYAAAAABiQGAAAAAAYoBQAC9AQAhAgAAAB0AIAgAACkAIAIAAAAdACAIAAApACADAAAAGgAgDwAAIgAgEAAAJwAgAQAAABoAIAEAAAAdACAIFQAAzAEAIBYAAM0BACAXAADQAQAgGAAAzwEAIBkAAM4BACCHAQAAtQEAIIgBAAC1AQAgiQEAALUBACAOXAAApAEAMF0AADAAEF4AAKQBADBiAQB_ACFlAQB_ACF9AQClAQAhgAEAAKYBhgEigQEBAH8AIYQBAgCDAQAhhgEBAH8AIYcBAQCAAQAhiAEAAKcBACCJAQAApwEAIIoBQACBAQAhAwAAAB0AIAMAAC8AMBQAADAAIAMAAAAdACADAAAeADAEAAAaACAMXAAAogEAMF0AADYAEF4AAKIBADBiAQCVAQAhZQEAlQEAIX0EAAAAAX5AAJcBACF_AQCVAQAhgAEBAJUBACGBAQEAlQEAIYIBAQCVAQAhgwEBAJYBACEBAAAAMwAgAQAAADMAIAxcAACiAQAwXQAANgAQXgAAogEAMGIBAJUBACFlAQCVAQAhfQQAowEAIX5AAJcBACF_AQCVAQAhgAEBAJUBACGBAQEAlQEAIYIBAQCVAQAhgwEBAJYBACEBgwEAALUBACADAAAANgAgAwAANwAwBAAAMwAgAwAAADYAIAMAADcAMAQAADMAIAMAAAA2ACADAAA3ADAEAAAzACAJYgEAAAABZQEAAAABfQQAAAABfkAAAAABfwEAAAABgAEBAAAAAYEBAQAAAAGCAQEAAAABgwEBAAAAAQEIAAA7ACAJYgEAAAABZQEAAAABfQQAAAABfkAAAAABfwEAAAABgAEBAAAAAYEBAQAAAAGCAQEAAAABgwEBAAAAAQEIAAA9ADABCAAAPQAwCWIBALsBACFlAQC7AQAhfQQAywEAIX5AAL0BACF_AQC7AQAhgAEBALsBACGBAQEAuwEAIYIBAQC7AQAhgwEBALwBACECAAAAMwAgCAAAQAAgCWIBALsBACFlAQC7AQAhfQQAywEAIX5AAL0BACF_AQC7AQAhgAEBALsBACGBAQEAuwEAIYIBAQC7AQAhgwEBALwBACECAAAANgAgCAAAQgAgAgAAADYAIAgAAEIAIAMAAAAzACAPAAA7ACAQAABAACABAAAAMwAgAQAAADYAIAYVAADGAQAgFgAAxwEAIBcAAMoBACAYAADJAQAgGQAAyAEAIIMBAAC1AQAgDFwAAJ4BADBdAABJABBeAACeAQAwYgEAfwAhZQEAfwAhfQQAnwEAIX5AAIEBACF_AQB_ACGAAQEAfwAhgQEBAH8AIYIBAQB_ACGDAQEAgAEAIQMAAAA2ACADAABIADAUAABJACADAAAANgAgAwAANwAwBAAAMwAgBVwAAJ0BADBdAABPABBeAACdAQAwZQEAAAABfAIAmQEAIQEAAABMACABAAAATAAgBVwAAJ0BADBdAABPABBeAACdAQAwZQEAlQEAIXwCAJkBACEAAwAAAE8AIAMAAFAAMAQAAEwAIAMAAABPACADAABQADAEAABMACADAAAATwAgAwAAUAAwBAAATAAgAmUBAAAAAXwCAAAAAQEIAABUACACZQEAAAABfAIAAAABAQgAAFYAMAEIAABWADACZQEAuwEAIXwCAL8BACECAAAATAAgCAAAWQAgAmUBALsBACF8AgC_AQAhAgAAAE8AIAgAAFsAIAIAAABPACAIAABbACADAAAATAAgDwAAVAAgEAAAWQAgAQAAAEwAIAEAAABPACAFFQAAwQEAIBYAAMIBACAXAADFAQAgGAAAxAEAIBkAAMMBACAFXAAAnAEAMF0AAGIAEF4AAJwBADBlAQB_ACF8AgCDAQAhAwAAAE8AIAMAAGEAMBQAAGIAIAMAAABPACADAABQADAEAABMACAPXAAAlAEAMF0AAGgAEF4AAJQBADBfAQAAAAFgAQCVAQAhYQEAlgEAIWIBAJUBACFjAQCVAQAhZAEAlgEAIWUBAJUBACFmQACXAQAhZwgAmAEAIWgCAJkBACFpIACaAQAhagAAmwEAIAEAAABlACABAAAAZQAgD1wAAJQBADBdAABoABBeAACUAQAwXwEAlQEAIWABAJUBACFhAQCWAQAhYgEAlQEAIWMBAJUBACFkAQCWAQAhZQEAlQEAIWZAAJcBACFnCACYAQAhaAIAmQEAIWkgAJoBACFqAACbAQAgAmEAALUBACBkAAC1AQAgAwAAAGgAIAMAAGkAMAQAAGUAIAMAAABoACADAABpADAEAABlACADAAAAaAAgAwAAaQAwBAAAZQAgDF8BAAAAAWABAAAAAWEBAAAAAWIBAAAAAWMBAAAAAWQBAAAAAWUBAAAAAWZAAAAAAWcIAAAAAWgCAAAAAWkgAAAAAWqAAAAAAQEIAABtACAMXwEAAAABYAEAAAABYQEAAAABYgEAAAABYwEAAAABZAEAAAABZQEAAAABZkAAAAABZwgAAAABaAIAAAABaSAAAAABaoAAAAABAQgAAG8AMAEIAABvADAMXwEAuwEAIWABALsBACFhAQC8AQAhYgEAuwEAIWMBALsBACFkAQC8AQAhZQEAuwEAIWZAAL0BACFnCAC-AQAhaAIAvwEAIWkgAMABACFqgAAAAAECAAAAZQAgCAAAcgAgDF8BALsBACFgAQC7AQAhYQEAvAEAIWIBALsBACFjAQC7AQAhZAEAvAEAIWUBALsBACFmQAC9AQAhZwgAvgEAIWgCAL8BACFpIADAAQAhaoAAAAABAgAAAGgAIAgAAHQAIAIAAABoACAIAAB0ACADAAAAZQAgDwAAbQAgEAAAcgAgAQAAAGUAIAEAAABoACAHFQAAtgEAIBYAALcBACAXAAC6AQAgGAAAuQEAIBkAALgBACBhAAC1AQAgZAAAtQEAIA9cAAB-ADBdAAB7ABBeAAB-ADBfAQB_ACFgAQB_ACFhAQCAAQAhYgEAfwAhYwEAfwAhZAEAgAEAIWUBAH8AIWZAAIEBACFnCACCAQAhaAIAgwEAIWkgAIQBACFqAACFAQAgAwAAAGgAIAMAAHoAMBQAAHsAIAMAAABoACADAABpADAEAABlACAPXAAAfgAwXQAAewAQXgAAfgAwXwEAfwAhYAEAfwAhYQEAgAEAIWIBAH8AIWMBAH8AIWQBAIABACFlAQB_ACFmQACBAQAhZwgAggEAIWgCAIMBACFpIACEAQAhagAAhQEAIA4VAACGAQAgGAAAkwEAIBkAAJMBACBrAQAAAAFyAQAAAAFzAQAAAAF0AQAAAAF1AQAAAAF2AQCSAQAhdwEAAAAEeAEAAAAEeQEAAAABegEAAAABewEAAAABDhUAAJABACAYAACRAQAgGQAAkQEAIGsBAAAAAXIBAAAAAXMBAAAAAXQBAAAAAXUBAAAAAXYBAI8BACF3AQAAAAV4AQAAAAV5AQAAAAF6AQAAAAF7AQAAAAELFQAAhgEAIBgAAI4BACAZAACOAQAga0AAAAABckAAAAABc0AAAAABdEAAAAABdUAAAAABdkAAjQEAIXdAAAAABHhAAAAABA0VAACGAQAgFgAAiwEAIBcAAIsBACAYAACLAQAgGQAAiwEAIGsIAAAAAXIIAAAAAXMIAAAAAXQIAAAAAXUIAAAAAXYIAIwBACF3CAAAAAR4CAAAAAQNFQAAhgEAIBYAAIsBACAXAACGAQAgGAAAhgEAIBkAAIYBACBrAgAAAAFyAgAAAAFzAgAAAAF0AgAAAAF1AgAAAAF2AgCKAQAhdwIAAAAEeAIAAAAEBRUAAIYBACAYAACJAQAgGQAAiQEAIGsgAAAAAXYgAIgBACEPFQAAhgEAIBgAAIcBACAZAACHAQAga4AAAAABbAEAAAABbQEAAAABbgEAAAABb4AAAAABcIAAAAABcYAAAAABcoAAAAABc4AAAAABdIAAAAABdYAAAAABdoAAAAABCGsCAAAAAXICAAAAAXMCAAAAAXQCAAAAAXUCAAAAAXYCAIYBACF3AgAAAAR4AgAAAAQMa4AAAAABbAEAAAABbQEAAAABbgEAAAABb4AAAAABcIAAAAABcYAAAAABcoAAAAABc4AAAAABdIAAAAABdYAAAAABdoAAAAABBRUAAIYBACAYAACJAQAgGQAAiQEAIGsgAAAAAXYgAIgBACECayAAAAABdiAAiQEAIQ0VAACGAQAgFgAAiwEAIBcAAIYBACAYAACGAQAgGQAAhgEAIGsCAAAAAXICAAAAAXMCAAAAAXQCAAAAAXUCAAAAAXYCAIoBACF3AgAAAAR4AgAAAAQIawgAAAABcggAAAABcwgAAAABdAgAAAABdQgAAAABdggAiwEAIXcIAAAABHgIAAAABA0VAACGAQAgFgAAiwEAIBcAAIsBACAYAACLAQAgGQAAiwEAIGsIAAAAAXIIAAAAAXMIAAAAAXQIAAAAAXUIAAAAAXYIAIwBACF3CAAAAAR4CAAAAAQLFQAAhgEAIBgAAI4BACAZAACOAQAga0AAAAABckAAAAABc0AAAAABdEAAAAABdUAAAAABdkAAjQEAIXdAAAAABHhAAAAABAhrQAAAAAFyQAAAAAFzQAAAAAF0QAAAAAF1QAAAAAF2QACOAQAhd0AAAAAEeEAAAAAEDhUAAJABACAYAACRAQAgGQAAkQEAIGsBAAAAAXIBAAAAAXMBAAAAAXQBAAAAAXUBAAAAAXYBAI8BACF3AQAAAAV4AQAAAAV5AQAAAAF6AQAAAAF7AQAAAAEIawIAAAABcgIAAAABcwIAAAABdAIAAAABdQIAAAABdgIAkAEAIXcCAAAABXgCAAAABQtrAQAAAAFyAQAAAAFzAQAAAAF0AQAAAAF1AQAAAAF2AQCRAQAhdwEAAAAFeAEAAAAFeQEAAAABegEAAAABewEAAAABDhUAAIYBACAYAACTAQAgGQAAkwEAIGsBAAAAAXIBAAAAAXMBAAAAAXQBAAAAAXUBAAAAAXYBAJIBACF3AQAAAAR4AQAAAAR5AQAAAAF6AQAAAAF7AQAAAAELawEAAAABcgEAAAABcwEAAAABdAEAAAABdQEAAAABdgEAkwEAIXcBAAAABHgBAAAABHkBAAAAAXoBAAAAAXsBAAAAAQ9cAACUAQAwXQAAaAAQXgAAlAEAMF8BAJUBACFgAQCVAQAhYQEAlgEAIWIBAJUBACFjAQCVAQAhZAEAlgEAIWUBAJUBACFmQACXAQAhZwgAmAEAIWgCAJkBACFpIACaAQAhagAAmwEAIAtrAQAAAAFyAQAAAAFzAQAAAAF0AQAAAAF1AQAAAAF2AQCTAQAhdwEAAAAEeAEAAAAEeQEAAAABegEAAAABewEAAAABC2sBAAAAAXIBAAAAAXMBAAAAAXQBAAAAAXUBAAAAAXYBAJEBACF3AQAAAAV4AQAAAAV5AQAAAAF6AQAAAAF7AQAAAAEIa0AAAAABckAAAAABc0AAAAABdEAAAAABdUAAAAABdkAAjgEAIXdAAAAABHhAAAAABAhrCAAAAAFyCAAAAAFzCAAAAAF0CAAAAAF1CAAAAAF2CACLAQAhdwgAAAAEeAgAAAAECGsCAAAAAXICAAAAAXMCAAAAAXQCAAAAAXUCAAAAAXYCAIYBACF3AgAAAAR4AgAAAAQCayAAAAABdiAAiQEAIQxrgAAAAAFsAQAAAAFtAQAAAAFuAQAAAAFvgAAAAAFwgAAAAAFxgAAAAAFygAAAAAFzgAAAAAF0gAAAAAF1gAAAAAF2gAAAAAEFXAAAnAEAMF0AAGIAEF4AAJwBADBlAQB_ACF8AgCDAQAhBVwAAJ0BADBdAABPABBeAACdAQAwZQEAlQEAIXwCAJkBACEMXAAAngEAMF0AAEkAEF4AAJ4BADBiAQB_ACFlAQB_ACF9BACfAQAhfkAAgQEAIX8BAH8AIYABAQB_ACGBAQEAfwAhggEBAH8AIYMBAQCAAQAhDRUAAIYBACAWAACLAQAgFwAAoQEAIBgAAKEBACAZAAChAQAgawQAAAABcgQAAAABcwQAAAABdAQAAAABdQQAAAABdgQAoAEAIXcEAAAABHgEAAAABA0VAACGAQAgFgAAiwEAIBcAAKEBACAYAAChAQAgGQAAoQEAIGsEAAAAAXIEAAAAAXMEAAAAAXQEAAAAAXUEAAAAAXYEAKABACF3BAAAAAR4BAAAAAQIawQAAAABcgQAAAABcwQAAAABdAQAAAABdQQAAAABdgQAoQEAIXcEAAAABHgEAAAABAxcAACiAQAwXQAANgAQXgAAogEAMGIBAJUBACFlAQCVAQAhfQQAowEAIX5AAJcBACF_AQCVAQAhgAEBAJUBACGBAQEAlQEAIYIBAQCVAQAhgwEBAJYBACEIawQAAAABcgQAAAABcwQAAAABdAQAAAABdQQAAAABdgQAoQEAIXcEAAAABHgEAAAABA5cAACkAQAwXQAAMAAQXgAApAEAMGIBAH8AIWUBAH8AIX0BAKUBACGAAQAApgGGASKBAQEAfwAhhAECAIMBACGGAQEAfwAhhwEBAIABACGIAQAApwEAIIkBAACnAQAgigFAAIEBACELFQAAhgEAIBgAAJMBACAZAACTAQAgawEAAAABcgEAAAABcwEAAAABdAEAAAABdQEAAAABdgEAqwEAIXcBAAAABHgBAAAABAcVAACGAQAgGAAAqgEAIBkAAKoBACBrAAAAhgECdgAAqQGGASJ3AAAAhgEIeAAAAIYBCA8VAACQAQAgGAAAqAEAIBkAAKgBACBrgAAAAAFsAQAAAAFtAQAAAAFuAQAAAAFvgAAAAAFwgAAAAAFxgAAAAAFygAAAAAFzgAAAAAF0gAAAAAF1gAAAAAF2gAAAAAEMa4AAAAABbAEAAAABbQEAAAABbgEAAAABb4AAAAABcIAAAAABcYAAAAABcoAAAAABc4AAAAABdIAAAAABdYAAAAABdoAAAAABBxUAAIYBACAYAACqAQAgGQAAqgEAIGsAAACGAQJ2AACpAYYBIncAAACGAQh4AAAAhgEIBGsAAACGAQJ2AACqAYYBIncAAACGAQh4AAAAhgEICxUAAIYBACAYAACTAQAgGQAAkwEAIGsBAAAAAXIBAAAAAXMBAAAAAXQBAAAAAXUBAAAAAXYBAKsBACF3AQAAAAR4AQAAAAQOXAAArAEAMF0AAB0AEF4AAKwBADBiAQCVAQAhZQEAlQEAIX0BAK0BACGAAQAArgGGASKBAQEAlQEAIYQBAgCZAQAhhgEBAJUBACGHAQEAlgEAIYgBAACvAQAgiQEAAK8BACCKAUAAlwEAIQhrAQAAAAFyAQAAAAFzAQAAAAF0AQAAAAF1AQAAAAF2AQCwAQAhdwEAAAAEeAEAAAAEBGsAAACGAQJ2AACqAYYBIncAAACGAQh4AAAAhgEIDGuAAAAAAWwBAAAAAW0BAAAAAW4BAAAAAW-AAAAAAXCAAAAAAXGAAAAAAXKAAAAAAXOAAAAAAXSAAAAAAXWAAAAAAXaAAAAAAQhrAQAAAAFyAQAAAAFzAQAAAAF0AQAAAAF1AQAAAAF2AQCwAQAhdwEAAAAEeAEAAAAEBGIBAAAAAWUBAAAAAYEBAQAAAAGEAQIAAAABDVwAALIBADBdAAAXABBeAACyAQAwYgEAfwAhZQEAfwAhfQEApQEAIYEBAQB_ACGEAQIAgwEAIYoBQACBAQAhjAEAAIUBACCNAQAAhQEAII4BAACFAQAgjwFAAIEBACENXAAAswEAMF0AAAQAEF4AALMBADBiAQCVAQAhZQEAlQEAIX0BAK0BACGBAQEAlQEAIYQBAgCZAQAhigFAAJcBACGMAQAAmwEAII0BAACbAQAgjgEAAJsBACCPAUAAlwEAIQNiAQAAAAFlAQAAAAGBAQEAAAABAAAAAAAAAZEBAQAAAAEBkQEBAAAAAQGRAUAAAAABBZEBCAAAAAGSAQgAAAABkwEIAAAAAZQBCAAAAAGVAQgAAAABBZEBAgAAAAGSAQIAAAABkwECAAAAAZQBAgAAAAGVAQIAAAABAZEBIAAAAAEAAAAAAAAAAAAABZEBBAAAAAGSAQQAAAABkwEEAAAAAZQBBAAAAAGVAQQAAAABAAAAAAABkQEAAACGAQIAAAAAAAAAAAAFFQAGFgAHFwAIGAAJGQAKAAAAAAAFFQAGFgAHFwAIGAAJGQAKAAAABRUAEBYAERcAEhgAExkAFAAAAAAABRUAEBYAERcAEhgAExkAFAAAAAUVABoWABsXABwYAB0ZAB4AAAAAAAUVABoWABsXABwYAB0ZAB4AAAAFFQAkFgAlFwAmGAAnGQAoAAAAAAAFFQAkFgAlFwAmGAAnGQAoAAAABRUALhYALxcAMBgAMRkAMgAAAAAABRUALhYALxcAMBgAMRkAMgECAQIDAQUGAQYHAQcIAQkKAQoMAgsNAwwPAQ0RAg4SBBETARIUARMVAhoYBRsZCxwbDB0cDB4fDB8gDCAhDCEjDCIlAiMmDSQoDCUqAiYrDicsDCgtDCkuAioxDysyFSw0Fi01Fi44Fi85FjA6FjE8FjI-AjM_FzRBFjVDAjZEGDdFFjhGFjlHAjpKGTtLHzxNID1OID5RID9SIEBTIEFVIEJXAkNYIURaIEVcAkZdIkdeIEhfIElgAkpjI0tkKUxmKk1nKk5qKk9rKlBsKlFuKlJwAlNxK1RzKlV1AlZ2LFd3Klh4Kll5Alp8LVt9Mw"
};
async function decodeBase64AsWasm(wasmBase64) {
  const { Buffer } = await import("node:buffer");
  const wasmArray = Buffer.from(wasmBase64, "base64");
  return new WebAssembly.Module(wasmArray);
}
config.compilerWasm = {
  getRuntime: async () => await import("@prisma/client/runtime/query_compiler_fast_bg.postgresql.mjs"),
  getQueryCompilerWasmModule: async () => {
    const { wasm } = await import("@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs");
    return await decodeBase64AsWasm(wasm);
  },
  importName: "./query_compiler_fast_bg.js"
};
function getPrismaClientClass() {
  return runtime.getPrismaClient(config);
}

// apps/control-plane/src/generated/prisma/internal/prismaNamespace.ts
import * as runtime2 from "@prisma/client/runtime/client";
var getExtensionContext = runtime2.Extensions.getExtensionContext;
var NullTypes2 = {
  DbNull: runtime2.NullTypes.DbNull,
  JsonNull: runtime2.NullTypes.JsonNull,
  AnyNull: runtime2.NullTypes.AnyNull
};
var TransactionIsolationLevel = runtime2.makeStrictEnum({
  ReadUncommitted: "ReadUncommitted",
  ReadCommitted: "ReadCommitted",
  RepeatableRead: "RepeatableRead",
  Serializable: "Serializable"
});
var defineExtension = runtime2.Extensions.defineExtension;

// apps/control-plane/src/generated/prisma/client.ts
globalThis["__dirname"] = path.dirname(fileURLToPath(import.meta.url));
var PrismaClient = getPrismaClientClass();

// apps/control-plane/src/db/migrate.ts
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path2 from "node:path";
var PRISMA_ADVISORY_LOCK = 72707369;
var CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;
async function readMigrations(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path2.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    })
  );
}
async function applyMigrations(db, migrations, log = () => {
}) {
  await db.query(`SELECT pg_advisory_lock(${PRISMA_ADVISORY_LOCK})`);
  try {
    await db.exec(CREATE_MIGRATIONS_TABLE);
    const { rows } = await db.query(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"'
    );
    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) {
      throw new Error(
        `migration ${failed.migration_name} failed earlier and was never resolved; fix the database by hand, then mark it with \`prisma migrate resolve\` (or delete its row from _prisma_migrations)`
      );
    }
    const applied = new Map(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => [r.migration_name, r]));
    const done = [];
    for (const m of migrations) {
      const previous = applied.get(m.name);
      if (previous) {
        if (previous.checksum !== m.checksum) log(`warning: migration ${m.name} was modified after it was applied`);
        continue;
      }
      log(`applying migration ${m.name}`);
      const id = randomUUID();
      await db.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        [id, m.checksum, m.name]
      );
      try {
        await db.exec(`BEGIN;
${m.sql}
COMMIT;`);
      } catch (err) {
        await db.exec("ROLLBACK").catch(() => {
        });
        const message = err.message;
        await db.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, message]);
        throw new Error(`migration ${m.name} failed: ${message}`);
      }
      await db.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
      done.push(m.name);
    }
    return done;
  } finally {
    await db.query(`SELECT pg_advisory_unlock(${PRISMA_ADVISORY_LOCK})`);
  }
}

// apps/control-plane/src/db/open.ts
function findMigrationsDir(from = path3.dirname(fileURLToPath2(import.meta.url))) {
  for (let dir = from; ; dir = path3.dirname(dir)) {
    const candidate = path3.join(dir, "prisma", "migrations");
    if (existsSync(candidate)) return candidate;
    if (path3.dirname(dir) === dir) throw new Error(`prisma/migrations not found above ${from}`);
  }
}
async function openDatabase(options) {
  const migrations = await readMigrations(options.migrationsDir ?? findMigrationsDir());
  return options.databaseUrl ? openPostgres(options.databaseUrl, migrations, options.log) : openPGlite(options.dataDir, migrations, options.log);
}
var PGLITE_CONF = ["shared_buffers=16MB"];
async function pgliteTemplate(log) {
  const require2 = createRequire(import.meta.url);
  const entry = require2.resolve("@electric-sql/pglite");
  const { version } = JSON.parse(await readFile2(path3.join(path3.dirname(entry), "..", "package.json"), "utf8"));
  const template = path3.join(os.tmpdir(), `trellis-pglite-template-${version}`);
  if (existsSync(path3.join(template, "PG_VERSION"))) return template;
  log?.("initialising the embedded database (once per machine)");
  const staging = `${template}.${process.pid}.${Date.now()}`;
  const script = `const { PGlite } = await import(${JSON.stringify(pathToFileURL(entry.replace(/\.cjs$/, ".js")).href)});
    const db = await PGlite.create(${JSON.stringify(staging)}, { postgresqlconf: ${JSON.stringify(PGLITE_CONF)} });
    await db.close();`;
  await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { timeout: 12e4 });
  try {
    await rename(staging, template);
  } catch {
    await rm(staging, { recursive: true, force: true });
  }
  return template;
}
async function initPGliteDir(dataDir, log) {
  if (existsSync(path3.join(dataDir, "PG_VERSION"))) return;
  const template = await pgliteTemplate(log);
  log?.(`creating the embedded database in ${dataDir}`);
  await cp(template, dataDir, { recursive: true });
}
async function openPGlite(dataDir, migrations, log) {
  await mkdir(dataDir, { recursive: true });
  let pglite;
  try {
    await initPGliteDir(dataDir, log);
    pglite = await PGlite.create(dataDir, { postgresqlconf: PGLITE_CONF });
  } catch (err) {
    throw new Error(
      `cannot open the embedded database in ${dataDir} (${err.message}); is another control plane using it? Stop it, or pass a different --data-dir`
    );
  }
  const runner = {
    query: async (sql, params) => pglite.query(sql, params),
    exec: async (sql) => {
      await pglite.exec(sql);
    }
  };
  await applyMigrations(runner, migrations, log);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    prisma,
    description: `embedded PGlite in ${dataDir}`,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    }
  };
}
function parseDatabaseUrl(url) {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema") ?? void 0;
  parsed.searchParams.delete("schema");
  return { connectionString: parsed.toString(), ...schema ? { schema } : {} };
}
async function openPostgres(url, migrations, log) {
  const { connectionString, schema } = parseDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    ...schema ? { options: `-c search_path="${schema}"` } : {}
  });
  const target = `${new URL(connectionString).host}${new URL(connectionString).pathname}${schema ? ` (schema ${schema})` : ""}`;
  let client;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end();
    throw new Error(`cannot connect to Postgres at ${target}: ${err.message}; check DATABASE_URL and that the server is running`);
  }
  try {
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
    const runner = {
      query: async (sql, params) => {
        const result = await client.query(sql, params);
        return { rows: result.rows };
      },
      exec: async (sql) => {
        await client.query(sql);
      }
    };
    await applyMigrations(runner, migrations, log);
  } finally {
    client.release();
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, schema ? { schema } : void 0) });
  return {
    prisma,
    description: `Postgres at ${target}`,
    close: async () => {
      await prisma.$disconnect();
      await pool.end().catch(() => {
      });
    }
  };
}

// apps/control-plane/src/store/resources.ts
import { EventEmitter } from "node:events";

// apps/control-plane/src/errors.ts
var ValidationError = class extends Error {
  constructor(fieldErrors, prefix = "invalid resource") {
    super(`${prefix}: ${fieldErrors.map((e) => e.path ? `${e.path}: ${e.message}` : e.message).join("; ")}`);
    this.fieldErrors = fieldErrors;
  }
  fieldErrors;
};
var ConflictError = class extends Error {
};
var NotFoundError = class extends Error {
};

// apps/control-plane/src/store/representation.ts
function toResource(row) {
  const labels = row.labels;
  const annotations = row.annotations;
  return {
    apiVersion: API_VERSION,
    kind: row.kind,
    metadata: {
      name: row.name,
      namespace: row.namespace,
      ...Object.keys(labels).length ? { labels } : {},
      ...Object.keys(annotations).length ? { annotations } : {},
      resourceVersion: String(row.revision),
      creationTimestamp: row.createdAt.toISOString(),
      uid: row.id
    },
    spec: row.spec
  };
}
function revisionBody(resource) {
  const { resourceVersion: _rv, creationTimestamp: _ct, uid: _uid, ...metadata } = resource.metadata;
  const { status: _status, ...rest } = resource;
  return { ...rest, metadata };
}
function canonical(value) {
  return JSON.stringify(
    value,
    (_key, v) => v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v
  );
}

// apps/control-plane/src/store/diff.ts
function diffObjects(before, after, path6 = "") {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const bothObjects = isObject(before) && isObject(after);
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  if (bothArrays) {
    const out = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      out.push(...diffObjects(before[i], after[i], `${path6}[${i}]`));
    }
    return out;
  }
  if (bothObjects) {
    const keys = [.../* @__PURE__ */ new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffObjects(before[k], after[k], path6 ? `${path6}.${k}` : k));
  }
  return [{ path: path6, ...before === void 0 ? {} : { before }, ...after === void 0 ? {} : { after } }];
}
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// apps/control-plane/src/store/resources.ts
var ResourceStore = class extends EventEmitter {
  constructor(prisma) {
    super();
    this.prisma = prisma;
  }
  prisma;
  /** Turns "retrypolicies" into "RetryPolicy"; unknown kinds are a validation error naming `kind`. */
  static kind(text) {
    const kind = resolveKind(text);
    if (!kind) throw new ValidationError([{ path: "kind", message: `unknown kind "${text}"` }]);
    return kind;
  }
  async list(filter = {}) {
    const rows = await this.prisma.resource.findMany({
      where: { ...filter.kind ? { kind: filter.kind } : {}, ...filter.namespace ? { namespace: filter.namespace } : {} },
      orderBy: [{ kind: "asc" }, { namespace: "asc" }, { name: "asc" }]
    });
    return rows.map(toResource);
  }
  async get(ref2) {
    const row = await this.prisma.resource.findUnique({ where: { kind_namespace_name: ref2 } });
    return row ? toResource(row) : null;
  }
  /** Creates or updates one resource. A stale metadata.resourceVersion is a ConflictError. */
  async apply(input, options) {
    const parsed = parseResource(input);
    if (!parsed.ok) {
      const meta = input ?? {};
      const text = (v, fallback) => typeof v === "string" && v ? v.slice(0, 253) : fallback;
      await this.audit(options.author, "apply", {
        kind: text(meta.kind, "?"),
        namespace: text(meta.metadata?.namespace, "default"),
        name: text(meta.metadata?.name, "?")
      }, "invalid", parsed.errors.map((e) => `${e.path}: ${e.message}`).join("; "));
      throw new ValidationError(parsed.errors);
    }
    const wanted = revisionBody(parsed.resource);
    const ref2 = { kind: wanted.kind, namespace: wanted.metadata.namespace, name: wanted.metadata.name };
    const expected = parsed.resource.metadata.resourceVersion;
    try {
      const result = await this.prisma.$transaction(async (tx) => {
        const existing = await tx.resource.findUnique({ where: { kind_namespace_name: ref2 } });
        if (expected !== void 0 && (!existing || String(existing.revision) !== expected)) {
          throw new ConflictError(
            existing ? `${describe(ref2)} was changed by someone else (it is at resourceVersion ${existing.revision}, you sent ${expected}); fetch it again and reapply your change` : `${describe(ref2)} no longer exists (you sent resourceVersion ${expected}); remove resourceVersion to create it anew`
          );
        }
        if (existing && canonical(revisionBody(toResource(existing))) === canonical(wanted)) {
          return { resource: toResource(existing), outcome: "unchanged" };
        }
        const revision = await this.lastRevision(tx, ref2) + 1;
        const data = {
          revision,
          labels: wanted.metadata.labels ?? {},
          annotations: wanted.metadata.annotations ?? {},
          spec: wanted.spec
        };
        let row;
        if (existing) {
          const { count } = await tx.resource.updateMany({ where: { id: existing.id, revision: existing.revision }, data });
          if (count === 0) throw new ConflictError(`${describe(ref2)} was changed concurrently; fetch it again and reapply`);
          row = await tx.resource.findUniqueOrThrow({ where: { id: existing.id } });
        } else {
          row = await tx.resource.create({ data: { ...ref2, ...data } });
        }
        await tx.revision.create({
          data: {
            ...ref2,
            revision,
            action: existing ? "UPDATE" : "CREATE",
            author: options.author,
            note: options.note ?? null,
            before: existing ? asJson(revisionBody(toResource(existing))) : void 0,
            after: asJson(wanted)
          }
        });
        await this.audit(options.author, "apply", ref2, "ok", `revision ${revision}`, tx);
        return { resource: toResource(row), outcome: existing ? "updated" : "created" };
      });
      if (result.outcome !== "unchanged") this.emit("change", ref2);
      return result;
    } catch (err) {
      throw await this.refused(err, options.author, "apply", ref2);
    }
  }
  /** Deletes a resource; its history stays. */
  async delete(ref2, options) {
    try {
      const deleted = await this.prisma.$transaction(async (tx) => {
        const existing = await tx.resource.findUnique({ where: { kind_namespace_name: ref2 } });
        if (!existing) throw new NotFoundError(`${describe(ref2)} not found`);
        if (options.resourceVersion !== void 0 && String(existing.revision) !== options.resourceVersion) {
          throw new ConflictError(`${describe(ref2)} is at resourceVersion ${existing.revision}, not ${options.resourceVersion}`);
        }
        const { count } = await tx.resource.deleteMany({ where: { id: existing.id, revision: existing.revision } });
        if (count === 0) throw new ConflictError(`${describe(ref2)} was changed concurrently`);
        const revision = await this.lastRevision(tx, ref2) + 1;
        await tx.revision.create({
          data: {
            ...ref2,
            revision,
            action: "DELETE",
            author: options.author,
            note: options.note ?? null,
            before: asJson(revisionBody(toResource(existing)))
          }
        });
        await this.audit(options.author, "delete", ref2, "ok", `revision ${revision}`, tx);
        return toResource(existing);
      });
      this.emit("change", ref2);
      return deleted;
    } catch (err) {
      throw await this.refused(err, options.author, "delete", ref2);
    }
  }
  /** Every revision of a resource, newest first (kept after deletion). */
  async history(ref2) {
    const rows = await this.prisma.revision.findMany({ where: ref2, orderBy: { revision: "desc" } });
    return rows.map(toEntry);
  }
  /** What changed between two revisions (to defaults to the newest). */
  async diff(ref2, from, to) {
    const rows = await this.prisma.revision.findMany({ where: ref2, orderBy: { revision: "desc" } });
    const newest = rows[0];
    if (!newest) throw new NotFoundError(`${describe(ref2)} has no history`);
    const a = rows.find((r) => r.revision === from);
    const b = to === void 0 ? newest : rows.find((r) => r.revision === to);
    if (!a) throw new NotFoundError(`${describe(ref2)} has no revision ${from}`);
    if (!b) throw new NotFoundError(`${describe(ref2)} has no revision ${to}`);
    return { from: toEntry(a), to: toEntry(b), changes: diffObjects(stateAfter(a), stateAfter(b)) };
  }
  /** Makes the resource what it was after revision `to`, as a new revision (history is never rewritten). */
  async rollback(ref2, to, options) {
    const target = await this.prisma.revision.findUnique({ where: { kind_namespace_name_revision: { ...ref2, revision: to } } });
    if (!target) throw new NotFoundError(`${describe(ref2)} has no revision ${to}; see \`trellis history ${ref2.kind} ${ref2.name}\``);
    const state = stateAfter(target);
    if (!state) throw new ValidationError([{ path: "to", message: `revision ${to} is a deletion; roll back to a revision that has content` }]);
    const note = options.note ?? `rollback to revision ${to}`;
    const result = await this.apply(state, { ...options, note });
    if (result.outcome !== "unchanged") {
      await this.prisma.revision.updateMany({
        where: { ...ref2, revision: Number(result.resource.metadata.resourceVersion) },
        data: { action: "ROLLBACK" }
      });
    }
    return result;
  }
  async lastRevision(tx, ref2) {
    const last = await tx.revision.aggregate({ where: ref2, _max: { revision: true } });
    return last._max.revision ?? 0;
  }
  async refused(err, author, action, ref2) {
    let error = err;
    if (err.code === "P2002") error = new ConflictError(`${describe(ref2)} was created concurrently; fetch it and reapply`);
    const outcome = error instanceof ConflictError ? "conflict" : error instanceof NotFoundError ? "not-found" : void 0;
    if (outcome) await this.audit(author, action, ref2, outcome, error.message);
    return error;
  }
  async audit(actor, action, ref2, outcome, detail, tx = this.prisma) {
    await tx.auditEntry.create({ data: { actor, action, ...ref2, outcome, detail } });
  }
};
function asJson(resource) {
  return resource;
}
function describe(ref2) {
  return `${ref2.kind} ${ref2.namespace}/${ref2.name}`;
}
function stateAfter(row) {
  return row.after ?? null;
}
function toEntry(row) {
  return {
    revision: row.revision,
    action: row.action,
    author: row.author,
    note: row.note,
    createdAt: row.createdAt.toISOString(),
    before: row.before ?? null,
    after: row.after ?? null
  };
}

// apps/control-plane/src/discovery/registry.ts
import { EventEmitter as EventEmitter2 } from "node:events";
var serviceKey = (name, namespace) => `${name}.${namespace}`;
var EndpointRegistry = class extends EventEmitter2 {
  // service key -> endpoint id (source:address:port) -> endpoint
  services = /* @__PURE__ */ new Map();
  /** Adds or refreshes one endpoint. */
  upsert(endpoint) {
    const key = serviceKey(endpoint.service, endpoint.namespace);
    const id = endpointId(endpoint);
    let set = this.services.get(key);
    if (!set) this.services.set(key, set = /* @__PURE__ */ new Map());
    const before = set.get(id);
    set.set(id, endpoint);
    if (!before || JSON.stringify(before) !== JSON.stringify(endpoint)) this.emit("change", [key]);
  }
  remove(endpoint) {
    const key = serviceKey(endpoint.service, endpoint.namespace);
    const set = this.services.get(key);
    if (set?.delete(endpointId(endpoint))) {
      if (set.size === 0) this.services.delete(key);
      this.emit("change", [key]);
    }
  }
  /** Replaces every endpoint one source knows for one service (a Kubernetes EndpointSlice sync). */
  replaceSource(source, name, namespace, endpoints) {
    const key = serviceKey(name, namespace);
    const set = this.services.get(key) ?? /* @__PURE__ */ new Map();
    const before = JSON.stringify([...set.values()].filter((e) => e.source === source));
    for (const [id, e] of set) if (e.source === source) set.delete(id);
    for (const e of endpoints) set.set(endpointId(e), e);
    if (set.size === 0) this.services.delete(key);
    else this.services.set(key, set);
    if (before !== JSON.stringify(endpoints)) this.emit("change", [key]);
  }
  endpoints(key) {
    const set = this.services.get(key);
    if (!set) return [];
    return [...set.values()].sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  }
  serviceKeys() {
    return [...this.services.keys()].sort();
  }
};
function endpointId(e) {
  return `${e.source}:${e.address}:${e.port}`;
}

// apps/control-plane/src/compiler/distributor.ts
import { EventEmitter as EventEmitter3 } from "node:events";

// apps/control-plane/src/compiler/compile.ts
import { createHash as createHash2 } from "node:crypto";

// apps/control-plane/src/compiler/policies.ts
function compileRetry(r) {
  const s = r.spec;
  return {
    attempts: s.attempts,
    retryOn: s.retryOn,
    ...s.perTryTimeout ? { perTryTimeoutMs: ms(s.perTryTimeout) } : {},
    backoffBaseMs: ms(s.backoff.baseInterval),
    backoffMaxMs: ms(s.backoff.maxInterval),
    budgetRatio: s.budget.ratio,
    budgetMinPerSecond: s.budget.minRetriesPerSecond
  };
}
function compileTimeout(r) {
  return { requestMs: ms(r.spec.request), ...r.spec.idle ? { idleMs: ms(r.spec.idle) } : {} };
}
function compileSplit(r) {
  return { backends: r.spec.backends.map((b) => ({ name: b.name, selector: b.selector, weight: b.weight })) };
}
function compileFault(r) {
  const { delay, abort } = r.spec;
  return {
    ...delay ? { delay: { percentage: delay.percentage, ms: ms(delay.duration) } } : {},
    ...abort ? { abort: { percentage: abort.percentage, status: abort.httpStatus } } : {}
  };
}
function compileMirror(r) {
  return { selector: r.spec.selector, percentage: r.spec.percentage };
}
function compileCircuitBreaker(r) {
  const { limits, outlierDetection: o } = r.spec;
  return {
    ...limits?.maxConnections ? { maxConnections: limits.maxConnections } : {},
    ...limits?.maxPendingRequests ? { maxPendingRequests: limits.maxPendingRequests } : {},
    ...limits?.maxRequests ? { maxRequests: limits.maxRequests } : {},
    ...o ? {
      outlier: {
        consecutiveErrors: o.consecutiveErrors,
        baseEjectionMs: ms(o.baseEjectionTime),
        maxEjectionMs: ms(o.maxEjectionTime),
        maxEjectionPercent: o.maxEjectionPercent
      }
    } : {}
  };
}
var DEFAULT_LOAD_BALANCER = { algorithm: "LeastRequest", localityAware: false };
function compileLoadBalancer(r) {
  return { algorithm: r.spec.algorithm, ...r.spec.hashOn ? { hashOn: r.spec.hashOn } : {}, localityAware: r.spec.localityAware };
}
function compileRateLimit(r) {
  const s = r.spec;
  return {
    id: `${r.metadata.namespace}/${r.metadata.name}`,
    requestsPerSecond: s.requestsPerSecond,
    // Without an explicit burst, allow one second's worth (at least one request).
    burst: s.burst ?? Math.max(1, Math.ceil(s.requestsPerSecond)),
    key: s.key,
    mode: s.mode,
    failureMode: s.failureMode
  };
}
function compileCache(r) {
  const s = r.spec;
  return {
    maxEntries: s.maxEntries,
    maxEntryBytes: s.maxEntryBytes,
    maxTotalBytes: s.maxTotalBytes,
    ...s.defaultTtl ? { defaultTtlMs: ms(s.defaultTtl) } : {}
  };
}
function compileAuthorization(r) {
  return {
    id: `${r.metadata.namespace}/${r.metadata.name}`,
    action: r.spec.action,
    rules: r.spec.rules.map((rule) => ({
      from: rule.from,
      ...rule.paths ? { paths: rule.paths } : {},
      ...rule.methods ? { methods: rule.methods } : {}
    }))
  };
}

// apps/control-plane/src/compiler/compile.ts
var CATCH_ALL = { name: "default", match: {} };
function knownServices(index, registry) {
  return [.../* @__PURE__ */ new Set([...index.services.keys(), ...registry.serviceKeys(), ...index.targets()])].sort();
}
function compileSnapshot(name, namespace, index, registry, mesh) {
  const self = serviceKey(name, namespace);
  const own = index.services.get(self);
  const egress = own?.spec.egress;
  const allowed = (key) => {
    if (!egress || egress.includes("*")) return true;
    const [svc, ns] = key.split(".");
    return egress.some((e) => e === key || ns === namespace && e === svc);
  };
  const outbound = knownServices(index, registry).filter(allowed).map((key) => outboundService(key, namespace, index, registry));
  const inboundRoutes = [...own?.spec.routes ?? [], CATCH_ALL].map((route) => {
    const rateLimit = index.policyFor("RateLimitPolicy", self, route.name);
    const cache = index.policyFor("CachePolicy", self, route.name);
    return {
      name: route.name,
      match: route.match,
      policies: {
        ...rateLimit ? { rateLimit: compileRateLimit(rateLimit) } : {},
        ...cache ? { cache: compileCache(cache) } : {}
      }
    };
  });
  return {
    service: { name, namespace },
    inbound: { routes: inboundRoutes, authorization: index.allOf("AuthorizationPolicy", self).map(compileAuthorization) },
    outbound: { services: outbound },
    tracing: { sampling: own?.spec.tracing?.sampling ?? mesh.defaultSampling },
    mesh: mesh.redisUrl ? { redisUrl: mesh.redisUrl } : {}
  };
}
function outboundService(key, callerNamespace, index, registry) {
  const [name, namespace] = key.split(".");
  const declared = index.services.get(key);
  const routes = [...declared?.spec.routes ?? [], CATCH_ALL].map((route) => {
    const split = index.policyFor("TrafficSplit", key, route.name);
    const retry = index.policyFor("RetryPolicy", key, route.name);
    const timeout = index.policyFor("TimeoutPolicy", key, route.name);
    const fault = index.policyFor("FaultPolicy", key, route.name);
    const mirror = index.policyFor("MirrorPolicy", key, route.name);
    return {
      name: route.name,
      match: route.match,
      policies: {
        ...split ? { split: compileSplit(split) } : {},
        ...retry ? { retry: compileRetry(retry) } : {},
        ...timeout ? { timeout: compileTimeout(timeout) } : {},
        ...fault ? { fault: compileFault(fault) } : {},
        ...mirror ? { mirror: compileMirror(mirror) } : {}
      }
    };
  });
  const circuitBreaker = index.policyFor("CircuitBreakerPolicy", key);
  const loadBalancer = index.policyFor("LoadBalancerPolicy", key);
  const fqdn = `${name}.${namespace}.svc.cluster.local`;
  const hostnames = [`${name}.${namespace}`, `${name}.${namespace}.svc`, fqdn];
  if (namespace === callerNamespace) hostnames.unshift(name);
  return {
    name,
    namespace,
    hostnames,
    endpoints: registry.endpoints(key).map(({ address, port, zone, labels, instance }) => ({
      address,
      port,
      ...zone ? { zone } : {},
      labels,
      ...instance ? { instance } : {}
    })),
    routes,
    ...circuitBreaker ? { circuitBreaker: compileCircuitBreaker(circuitBreaker) } : {},
    loadBalancer: loadBalancer ? compileLoadBalancer(loadBalancer) : DEFAULT_LOAD_BALANCER
  };
}
function digestOf(body) {
  return createHash2("sha256").update(JSON.stringify(body)).digest("hex");
}

// apps/control-plane/src/compiler/policy-index.ts
var PolicyIndex = class {
  services = /* @__PURE__ */ new Map();
  byTarget = /* @__PURE__ */ new Map();
  constructor(resources) {
    const sorted = [...resources].sort(
      (a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || a.metadata.name.localeCompare(b.metadata.name)
    );
    for (const r of sorted) {
      if (r.kind === "Service") {
        this.services.set(serviceKey(r.metadata.name, r.metadata.namespace), r);
        continue;
      }
      const target = r.spec.targetRef;
      const key = serviceKey(target.name, target.namespace ?? r.metadata.namespace);
      const list = this.byTarget.get(key) ?? [];
      list.push(r);
      this.byTarget.set(key, list);
    }
  }
  /** The policy of `kind` for a service's route: route-level first, then service-level. */
  policyFor(kind, service, route) {
    const list = this.byTarget.get(service) ?? [];
    const match = (wantRoute) => list.find((r) => r.kind === kind && r.spec.targetRef.route === wantRoute);
    return (route ? match(route) : void 0) ?? match(void 0);
  }
  /** Every policy of `kind` targeting a service (any route). */
  allOf(kind, service) {
    return (this.byTarget.get(service) ?? []).filter((r) => r.kind === kind);
  }
  /** Services that policies target, whether or not they are declared or have endpoints yet. */
  targets() {
    return [...this.byTarget.keys()];
  }
  /** Every policy targeting a service, for the dashboard's badges. */
  policiesOf(service) {
    return this.byTarget.get(service) ?? [];
  }
};

// apps/control-plane/src/compiler/distributor.ts
var ConfigDistributor = class extends EventEmitter3 {
  constructor(store, registry, counter, mesh, coalesceMs = 5) {
    super();
    this.store = store;
    this.registry = registry;
    this.counter = counter;
    this.mesh = mesh;
    this.coalesceMs = coalesceMs;
  }
  store;
  registry;
  counter;
  mesh;
  coalesceMs;
  resources = /* @__PURE__ */ new Map();
  index = new PolicyIndex([]);
  groups = /* @__PURE__ */ new Map();
  scheduled;
  round = Promise.resolve();
  /** Loads every resource and starts following changes. */
  async start() {
    for (const r of await this.store.list()) this.resources.set(refKey(r.kind, r.metadata.namespace, r.metadata.name), r);
    this.index = new PolicyIndex([...this.resources.values()]);
    this.store.on("change", (ref2) => {
      this.round = this.round.then(async () => {
        const current = await this.store.get(ref2);
        const key = refKey(ref2.kind, ref2.namespace, ref2.name);
        if (current) this.resources.set(key, current);
        else this.resources.delete(key);
        this.index = new PolicyIndex([...this.resources.values()]);
      });
      this.schedule();
    });
    this.registry.on("change", () => this.schedule());
  }
  stop() {
    clearTimeout(this.scheduled);
  }
  /** The resources the compiler sees, arranged by target. */
  get policyIndex() {
    return this.index;
  }
  group(key) {
    return this.groups.get(key);
  }
  /** Joins a proxy to its service's group and sends it the current snapshot unless it already runs it. */
  async join(name, namespace, member) {
    const key = serviceKey(name, namespace);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, group = { key, name, namespace, members: /* @__PURE__ */ new Set() });
    group.members.add(member);
    await (this.round = this.round.then(() => this.refresh([group])));
    deliver(group, member);
  }
  leave(name, namespace, member) {
    const key = serviceKey(name, namespace);
    const group = this.groups.get(key);
    if (!group) return;
    group.members.delete(member);
    if (group.members.size === 0) this.groups.delete(key);
  }
  /** Resolves after every change seen so far has been compiled and pushed. */
  async settled() {
    while (this.scheduled) await new Promise((r) => setTimeout(r, this.coalesceMs));
    await this.round;
  }
  schedule() {
    if (this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = void 0;
      this.round = this.round.then(() => this.refresh([...this.groups.values()]));
    }, this.coalesceMs);
  }
  /** Recompiles the given groups; those whose digest changed get one new version and are pushed. */
  async refresh(groups) {
    try {
      const changed = [];
      for (const group of groups) {
        const body = compileSnapshot(group.name, group.namespace, this.index, this.registry, this.mesh);
        const digest = digestOf(body);
        if (group.snapshot?.digest === digest) continue;
        changed.push({ group, body, digest });
      }
      if (changed.length === 0) return;
      let version;
      for (const { group, body, digest } of changed) {
        const adopted = group.snapshot ? void 0 : [...group.members].map((m) => m.reported).find((r) => r?.digest === digest)?.version;
        if (adopted !== void 0) await this.counter.atLeast(adopted);
        const v = adopted ?? (version ??= await this.counter.next());
        const snapshot = { version: v, digest, createdAt: (/* @__PURE__ */ new Date()).toISOString(), ...body };
        group.snapshot = snapshot;
        group.message = JSON.stringify({ type: "snapshot", snapshot });
        for (const member of group.members) deliver(group, member);
      }
      this.emit("compiled", changed.length);
    } catch (err) {
      this.emit("error", err);
    }
  }
};
function deliver(group, member) {
  const { snapshot, message } = group;
  if (!snapshot || !message || member.sentVersion === snapshot.version) return;
  member.sentVersion = snapshot.version;
  const r = member.reported;
  if (r && r.version === snapshot.version && r.digest === snapshot.digest) return;
  member.push(message, snapshot);
}
function refKey(kind, namespace, name) {
  return `${kind}/${namespace}/${name}`;
}

// apps/control-plane/src/compiler/version-counter.ts
var NAME = "config_version";
var VersionCounter = class {
  constructor(prisma) {
    this.prisma = prisma;
  }
  prisma;
  async next() {
    const row = await this.prisma.counter.upsert({
      where: { name: NAME },
      create: { name: NAME, value: 1 },
      update: { value: { increment: 1 } }
    });
    return row.value;
  }
  /** Moves the counter up to `value` if it is behind (a proxy reported a version from before a reset). */
  async atLeast(value) {
    await this.prisma.counter.upsert({ where: { name: NAME }, create: { name: NAME, value }, update: {} });
    await this.prisma.counter.updateMany({ where: { name: NAME, value: { lt: value } }, data: { value } });
  }
};

// apps/control-plane/src/stream/server.ts
import { EventEmitter as EventEmitter4 } from "node:events";
import { WebSocketServer } from "ws";

// apps/control-plane/src/stream/session.ts
import { randomUUID as randomUUID2 } from "node:crypto";
var ProxySession = class {
  constructor(identity, ws, onPush) {
    this.identity = identity;
    this.ws = ws;
    this.onPush = onPush;
  }
  identity;
  ws;
  onPush;
  id = randomUUID2();
  connectedAt = /* @__PURE__ */ new Date();
  lastSeen = Date.now();
  reported;
  sentVersion;
  /** The last snapshot pushed and when, to measure time to ACK. */
  inFlight;
  applied;
  rejected;
  disconnectedAt;
  /** A proxy that reconnects with the config it runs is in sync without being sent anything. */
  adoptReported(current) {
    this.reported = current;
    if (current) this.applied = { ...current, at: /* @__PURE__ */ new Date() };
  }
  push(message, snapshot) {
    this.inFlight = { version: snapshot.version, digest: snapshot.digest, at: performance.now() };
    this.ws.send(message);
    this.onPush();
  }
  /** Records an ACK; returns the milliseconds since the snapshot was pushed, when it was this one. */
  ack(version) {
    const pending = this.inFlight;
    if (!pending || pending.version !== version) return void 0;
    this.applied = { version, digest: pending.digest, at: /* @__PURE__ */ new Date() };
    this.rejected = void 0;
    this.inFlight = void 0;
    return performance.now() - pending.at;
  }
  nack(version, reason) {
    this.rejected = { version, reason, at: /* @__PURE__ */ new Date() };
    if (this.inFlight?.version === version) this.inFlight = void 0;
  }
  close(code, reason) {
    this.ws.close(code, reason);
  }
  terminate() {
    this.ws.terminate();
  }
};

// apps/control-plane/src/stream/server.ts
var StreamServer = class extends EventEmitter4 {
  constructor(distributor, registry, metrics, options) {
    super();
    this.distributor = distributor;
    this.registry = registry;
    this.metrics = metrics;
    this.options = options;
    this.wss.on("connection", (ws) => this.accept(ws));
    this.sweeper = setInterval(() => {
      const cutoff = Date.now() - HEARTBEAT_INTERVAL_MS * 3;
      for (const s of this.sessions.values()) if (s.lastSeen < cutoff) s.terminate();
    }, HEARTBEAT_INTERVAL_MS);
    this.sweeper.unref();
  }
  distributor;
  registry;
  metrics;
  options;
  wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024, perMessageDeflate: false });
  sessions = /* @__PURE__ */ new Map();
  /** Disconnected proxies, shown for the grace period. */
  departed = /* @__PURE__ */ new Map();
  timers = /* @__PURE__ */ new Set();
  sweeper;
  /** Every proxy connected now, and those that left within the grace period. */
  list() {
    return [...this.sessions.values(), ...this.departed.values()].map((s) => this.status(s)).sort(
      (a, b) => a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance)
    );
  }
  get connectedCount() {
    return this.sessions.size;
  }
  async close() {
    clearInterval(this.sweeper);
    for (const t2 of this.timers) clearTimeout(t2);
    for (const s of this.sessions.values()) s.close(1001, "control plane stopping");
    await new Promise((resolve) => this.wss.close(() => resolve()));
  }
  status(s) {
    const desired = this.distributor.group(serviceKey(s.identity.service, s.identity.namespace))?.snapshot;
    const { identity } = s;
    return {
      id: s.id,
      service: identity.service,
      namespace: identity.namespace,
      instance: identity.instance,
      zone: identity.zone ?? null,
      labels: identity.labels,
      endpoint: identity.endpoint ? `${identity.endpoint.address}:${identity.endpoint.port}` : null,
      proxyVersion: identity.proxyVersion,
      connected: !s.disconnectedAt,
      connectedAt: s.connectedAt.toISOString(),
      lastSeen: new Date(s.lastSeen).toISOString(),
      appliedVersion: s.applied?.version ?? null,
      desiredVersion: desired?.version ?? null,
      inSync: !s.disconnectedAt && !!desired && s.applied?.digest === desired.digest,
      lastError: s.rejected ? `version ${s.rejected.version} refused: ${s.rejected.reason}` : null
    };
  }
  accept(ws) {
    let session;
    const helloTimer = setTimeout(() => ws.close(4e3, "expected a hello message first"), this.options.helloTimeoutMs ?? 1e4);
    ws.on("message", (data) => {
      let json;
      try {
        json = JSON.parse(data.toString("utf8"));
      } catch {
        ws.send(JSON.stringify({ type: "error", message: "messages must be JSON" }));
        return;
      }
      const parsed = proxyMessage.safeParse(json);
      if (!parsed.success) {
        const message = `invalid ${json?.type ?? ""} message: ${describeErrors(formatIssues(parsed.error.issues))}`;
        ws.send(JSON.stringify({ type: "error", message }));
        if (!session) ws.close(4001, "invalid hello");
        return;
      }
      const msg = parsed.data;
      if (!session) {
        if (msg.type !== "hello") {
          ws.send(JSON.stringify({ type: "error", message: "expected a hello message first" }));
          ws.close(4e3, "expected hello");
          return;
        }
        clearTimeout(helloTimer);
        session = this.hello(ws, msg.proxy, msg.current);
        return;
      }
      session.lastSeen = Date.now();
      switch (msg.type) {
        case "ping":
          ws.send(JSON.stringify({ type: "pong", at: Date.now() }));
          break;
        case "ack": {
          const elapsed = session.ack(msg.version);
          if (elapsed !== void 0) this.metrics.pushToAck.observe(elapsed / 1e3);
          this.metrics.acks.inc();
          this.emit("ack", session, msg.version);
          break;
        }
        case "nack":
          session.nack(msg.version, msg.reason);
          this.metrics.nacks.inc();
          this.emit("nack", session, msg.version, msg.reason);
          break;
        case "metrics":
          this.emit("metrics", session, msg.report);
          break;
        case "spans":
          this.emit("spans", session, msg.spans);
          break;
        case "hello":
          ws.send(JSON.stringify({ type: "error", message: "hello was already received on this connection" }));
          break;
      }
    });
    ws.on("close", () => {
      clearTimeout(helloTimer);
      if (session) this.departure(session);
    });
    ws.on("error", () => ws.terminate());
  }
  hello(ws, identity, current) {
    const previous = this.sessions.get(identity.instance);
    if (previous) {
      this.sessions.delete(identity.instance);
      previous.terminate();
    }
    this.departed.delete(identity.instance);
    const session = new ProxySession(identity, ws, () => this.metrics.pushes.inc());
    session.adoptReported(current);
    this.sessions.set(identity.instance, session);
    this.metrics.connected.set(this.sessions.size);
    if (identity.endpoint) {
      this.registry.upsert({
        service: identity.service,
        namespace: identity.namespace,
        source: "proxy",
        address: identity.endpoint.address,
        port: identity.endpoint.port,
        labels: identity.labels,
        instance: identity.instance,
        ...identity.zone ? { zone: identity.zone } : {}
      });
    }
    void this.distributor.join(identity.service, identity.namespace, session);
    this.emit("hello", session);
    return session;
  }
  departure(session) {
    const { identity } = session;
    if (this.sessions.get(identity.instance) !== session) return;
    this.sessions.delete(identity.instance);
    this.metrics.connected.set(this.sessions.size);
    this.distributor.leave(identity.service, identity.namespace, session);
    session.disconnectedAt = /* @__PURE__ */ new Date();
    this.departed.set(identity.instance, session);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.departed.get(identity.instance) !== session) return;
      this.departed.delete(identity.instance);
      if (identity.endpoint && !this.sessions.has(identity.instance)) {
        this.registry.remove({ service: identity.service, namespace: identity.namespace, source: "proxy", ...identity.endpoint });
      }
    }, this.options.endpointGraceMs);
    this.timers.add(timer);
  }
};

// apps/control-plane/src/metrics.ts
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "trellis_cp_" });
  return {
    registry,
    /** Exposes what telemetry has taken in, read at scrape time. */
    observeTelemetry(telemetry) {
      const counters = [
        ["trellis_cp_metric_deltas_total", "Edge deltas received from proxies", () => telemetry.deltasReceived],
        ["trellis_cp_spans_received_total", "Spans received from proxies", () => telemetry.spansReceived],
        ["trellis_cp_spans_written_total", "Spans written to the database", () => telemetry.spans.written],
        ["trellis_cp_spans_dropped_total", "Spans dropped (write queue full or write failed)", () => telemetry.spans.dropped]
      ];
      for (const [name, help, read] of counters) {
        new Counter({
          name,
          help,
          registers: [registry],
          collect() {
            this.reset();
            this.inc(read());
          }
        });
      }
      new Gauge({ name: "trellis_cp_metric_series", help: "Metric series held in memory", registers: [registry], collect() {
        this.set(telemetry.windows.size);
      } });
    },
    connected: new Gauge({ name: "trellis_cp_connected_proxies", help: "Proxies connected to the stream", registers: [registry] }),
    pushes: new Counter({ name: "trellis_cp_snapshot_pushes_total", help: "Snapshots sent to proxies", registers: [registry] }),
    acks: new Counter({ name: "trellis_cp_snapshot_acks_total", help: "Snapshots proxies accepted", registers: [registry] }),
    nacks: new Counter({ name: "trellis_cp_snapshot_nacks_total", help: "Snapshots proxies refused", registers: [registry] }),
    pushToAck: new Histogram({
      name: "trellis_cp_push_to_ack_seconds",
      help: "Time from sending a snapshot to its ACK",
      buckets: [5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry]
    }),
    applies: new Counter({
      name: "trellis_cp_resource_writes_total",
      help: "Resource writes by outcome",
      labelNames: ["action", "outcome"],
      registers: [registry]
    })
  };
}

// apps/control-plane/src/server.ts
import http from "node:http";
import { WebSocketServer as WebSocketServer2 } from "ws";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { applyWSSHandler } from "@trpc/server/adapters/ws";

// apps/control-plane/src/router/trpc.ts
import { initTRPC, TRPCError } from "@trpc/server";
var t = initTRPC.context().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const fieldErrors = cause instanceof ValidationError ? cause.fieldErrors : void 0;
    return { ...shape, data: { ...shape.data, ...fieldErrors ? { fieldErrors } : {}, stack: void 0 } };
  }
});
var domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    const code = cause instanceof ValidationError ? "BAD_REQUEST" : cause instanceof ConflictError ? "CONFLICT" : cause instanceof NotFoundError ? "NOT_FOUND" : void 0;
    if (code) throw new TRPCError({ code, message: cause?.message ?? result.error.message, cause });
  }
  return result;
});
var router = t.router;
var procedure = t.procedure.use(domainErrors);

// apps/control-plane/src/router/resources.ts
import { z } from "zod";
var ref = z.object({ kind: z.string().min(1), name: z.string().min(1), namespace: z.string().min(1).default("default") });
var toRef = (input) => ({ kind: ResourceStore.kind(input.kind), namespace: input.namespace, name: input.name });
var resourcesRouter = router({
  list: procedure.input(z.object({ kind: z.string().optional(), namespace: z.string().optional() }).default({})).query(({ ctx, input }) => ctx.store.list({ kind: input.kind ? ResourceStore.kind(input.kind) : void 0, namespace: input.namespace })),
  get: procedure.input(ref).query(async ({ ctx, input }) => {
    const found = await ctx.store.get(toRef(input));
    if (!found) throw new NotFoundError(`${toRef(input).kind} ${input.namespace}/${input.name} not found`);
    return found;
  }),
  /**
   * Creates or updates a resource (kubectl apply). Scripts call it as `resources.apply`: tRPC reserves
   * the word `apply` for its typed clients, so the server maps that path here (server.ts).
   * With dryRun, validates and returns the change without writing.
   */
  upsert: procedure.input(z.object({ resource: z.unknown(), note: z.string().max(2e3).optional(), dryRun: z.boolean().default(false) })).mutation(async ({ ctx, input }) => {
    if (input.dryRun) {
      const parsed = parseResource(input.resource);
      if (!parsed.ok) throw new ValidationError(parsed.errors);
      const wanted = revisionBody(parsed.resource);
      const current = await ctx.store.get({ kind: wanted.kind, namespace: wanted.metadata.namespace, name: wanted.metadata.name });
      const changes = diffObjects(current ? revisionBody(current) : null, wanted);
      return { resource: parsed.resource, outcome: current ? changes.length ? "updated" : "unchanged" : "created", changes, dryRun: true };
    }
    const result = await ctx.store.apply(input.resource, { author: ctx.actor, note: input.note });
    return { ...result, changes: [], dryRun: false };
  }),
  delete: procedure.input(ref.extend({ resourceVersion: z.string().optional(), note: z.string().optional() })).mutation(({ ctx, input }) => ctx.store.delete(toRef(input), { author: ctx.actor, note: input.note, resourceVersion: input.resourceVersion })),
  history: procedure.input(ref).query(({ ctx, input }) => ctx.store.history(toRef(input))),
  diff: procedure.input(ref.extend({ from: z.number().int().min(1), to: z.number().int().min(1).optional() })).query(({ ctx, input }) => ctx.store.diff(toRef(input), input.from, input.to)),
  rollback: procedure.input(ref.extend({ to: z.number().int().min(1), note: z.string().optional() })).mutation(({ ctx, input }) => ctx.store.rollback(toRef(input), input.to, { author: ctx.actor, note: input.note }))
});

// apps/control-plane/src/catalog.ts
function listServices({ distributor, registry, stream }) {
  const index = distributor.policyIndex;
  const proxies = new Map(stream.list().map((p) => [p.instance, p]));
  return knownServices(index, registry).map((key) => {
    const [name = "", namespace = ""] = key.split(".");
    const declared = index.services.get(key);
    const endpoints = registry.endpoints(key).map((e) => {
      const proxy = e.instance ? proxies.get(e.instance) : void 0;
      return {
        address: e.address,
        port: e.port,
        zone: e.zone ?? null,
        labels: e.labels,
        instance: e.instance ?? null,
        source: e.source,
        proxy: proxy ? { connected: proxy.connected, inSync: proxy.inSync, appliedVersion: proxy.appliedVersion } : null
      };
    });
    const own = [...proxies.values()].filter((p) => p.service === name && p.namespace === namespace && p.connected);
    return {
      name,
      namespace,
      declared: !!declared,
      routes: declared?.spec.routes ?? [],
      versions: [...new Set(endpoints.map((e) => e.labels.version).filter((v) => !!v))].sort(),
      endpoints,
      proxies: { total: own.length, inSync: own.filter((p) => p.inSync).length },
      policies: index.policiesOf(key).map((p) => ({ kind: p.kind, name: p.metadata.name, namespace: p.metadata.namespace }))
    };
  });
}

// apps/control-plane/src/router/services.ts
var servicesRouter = router({
  /** Known services (declared, discovered or targeted) with endpoints and their proxies, routes, versions and policies. */
  list: procedure.query(({ ctx }) => listServices(ctx))
});

// apps/control-plane/src/router/proxies.ts
var proxiesRouter = router({
  /** Connected proxies (and those that left within the grace period): identity, applied version, in sync, last seen. */
  list: procedure.query(({ ctx }) => ctx.stream.list())
});

// apps/control-plane/src/router/graph.ts
import { z as z2 } from "zod";

// apps/control-plane/src/telemetry/graph.ts
function splitId(id) {
  const dot = id.indexOf(".");
  return dot < 0 ? [id, ""] : [id.slice(0, dot), id.slice(dot + 1)];
}
var SEP = "\0";
function buildGraph(windows, services, windowSeconds, namespace) {
  const windowMs = windowSeconds * 1e3;
  const visible = (id) => !namespace || id === "external" || splitId(id)[1] === namespace;
  const onEdge = (k) => visible(k.source) && visible(k.destination) ? `${k.source}->${k.destination}` : void 0;
  const byEdge = windows.statsBy(windowMs, onEdge);
  const byVersion = windows.statsBy(windowMs, (k) => k.version ? `${onEdge(k)}${SEP}${k.version}` : void 0);
  const byRoute = windows.statsBy(windowMs, (k) => `${onEdge(k)}${SEP}${k.route}`);
  const inbound = windows.statsBy(windowMs, (k) => k.destination);
  const nodes = /* @__PURE__ */ new Map();
  for (const s of services) {
    const id = `${s.name}.${s.namespace}`;
    if (!visible(id)) continue;
    nodes.set(id, { id, name: s.name, namespace: s.namespace, external: false, versions: s.versions, policies: s.policies, proxies: s.proxies, inbound: inbound.get(id) ?? null });
  }
  const versionsOf = groupChildren(byVersion);
  const routesOf = groupChildren(byRoute);
  const edges = [];
  for (const [id, stats] of [...byEdge].sort(([a], [b]) => a.localeCompare(b))) {
    if (stats.requests === 0) continue;
    const [source, destination] = id.split("->");
    for (const end of [source, destination]) {
      if (nodes.has(end)) continue;
      const [name, ns] = splitId(end);
      nodes.set(end, { id: end, name, namespace: ns, external: end === "external", versions: [], policies: [], proxies: { total: 0, inSync: 0 }, inbound: inbound.get(end) ?? null });
    }
    edges.push({
      id,
      source,
      destination,
      stats,
      versions: (versionsOf.get(id) ?? []).filter(([, v]) => v.requests > 0).map(([version, v]) => ({ version, rps: v.rps, share: v.requests / stats.requests })),
      routes: (routesOf.get(id) ?? []).filter(([, r]) => r.requests > 0).map(([route, r]) => ({ route, stats: r }))
    });
  }
  return {
    generatedAt: (/* @__PURE__ */ new Date()).toISOString(),
    windowSeconds,
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges
  };
}
function groupChildren(map) {
  const out = /* @__PURE__ */ new Map();
  for (const [key, stats] of map) {
    const [edge = "", child = ""] = key.split(SEP);
    if (edge === "undefined") continue;
    out.set(edge, [...out.get(edge) ?? [], [child, stats]]);
  }
  for (const list of out.values()) list.sort(([a], [b]) => a.localeCompare(b));
  return out;
}

// apps/control-plane/src/router/graph.ts
var graphInput = z2.object({
  namespace: z2.string().optional(),
  /** Rates and percentiles over this many past seconds. */
  windowSeconds: z2.number().int().min(1).max(900).default(10)
}).default({ windowSeconds: 10 });
function graphOf(ctx, input) {
  return buildGraph(ctx.telemetry.windows, listServices(ctx), input.windowSeconds, input.namespace);
}
var graphRouter = router({
  /** The service graph: services (with versions, policies, proxies) and the traffic between them. */
  get: procedure.input(graphInput).query(({ ctx, input }) => graphOf(ctx, input)),
  /** The same graph, pushed about once a second. */
  live: procedure.input(graphInput).subscription(async function* ({ ctx, input, signal }) {
    while (!signal?.aborted) {
      yield graphOf(ctx, input);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 1e3);
        signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  })
});

// apps/control-plane/src/router/metrics.ts
import { z as z3 } from "zod";
var scope = z3.discriminatedUnion("scope", [
  z3.object({ scope: z3.literal("edge"), source: z3.string(), destination: z3.string() }),
  z3.object({ scope: z3.literal("route"), destination: z3.string(), route: z3.string(), source: z3.string().optional() }),
  z3.object({ scope: z3.literal("service"), service: z3.string() })
]);
var metricsRouter = router({
  /**
   * Time series for one edge, one route of a service, or one service (what it receives), over the last
   * `windowSeconds` (1 s points up to 15 minutes, 1 min points up to 24 hours).
   */
  series: procedure.input(z3.intersection(scope, z3.object({ windowSeconds: z3.number().int().min(10).max(86400).default(300), maxPoints: z3.number().int().min(10).max(1e3).default(300) }))).query(({ ctx, input }) => {
    const filter = input.scope === "edge" ? (k) => k.source === input.source && k.destination === input.destination : input.scope === "route" ? (k) => k.destination === input.destination && k.route === input.route && (!input.source || k.source === input.source) : (k) => k.destination === input.service;
    return ctx.telemetry.windows.points(input.windowSeconds * 1e3, filter, input.maxPoints);
  })
});

// apps/control-plane/src/router/traces.ts
import { z as z4 } from "zod";
var tracesRouter = router({
  /** Traces with a span matching every filter given, newest first. */
  search: procedure.input(
    z4.object({
      service: z4.string().optional(),
      source: z4.string().optional(),
      destination: z4.string().optional(),
      status: z4.union([z4.enum(["error", "ok"]), z4.number().int()]).optional(),
      minDurationMs: z4.number().min(0).optional(),
      fromMs: z4.number().optional(),
      toMs: z4.number().optional(),
      limit: z4.number().int().min(1).max(500).default(50)
    }).default({ limit: 50 })
  ).query(({ ctx, input }) => ctx.telemetry.spans.search(input)),
  /** One trace's spans, by start time; parentSpanId links them into a tree. */
  get: procedure.input(z4.object({ traceId: z4.string().regex(/^[0-9a-f]{32}$/) })).query(async ({ ctx, input }) => {
    const spans = await ctx.telemetry.spans.trace(input.traceId);
    if (spans.length === 0) throw new NotFoundError(`trace ${input.traceId} not found (it may be past retention)`);
    return { traceId: input.traceId, spans };
  })
});

// apps/control-plane/src/router/tap.ts
import { z as z5 } from "zod";
var tapRouter = router({
  /** Live (sampled) requests one service ("name.namespace") receives, as they arrive: method, path, status, latency, source. */
  watch: procedure.input(z5.object({ service: z5.string().min(1) })).subscription(async function* ({ ctx, input, signal }) {
    const queue = [];
    let wake;
    const wanted = input.service.includes(".") ? input.service : `${input.service}.default`;
    const onTap = (e) => {
      if (e.service !== wanted) return;
      if (queue.length < 1e3) queue.push(e);
      wake?.();
    };
    ctx.telemetry.on("tap", onTap);
    try {
      while (!signal?.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise((resolve) => {
          wake = resolve;
          signal?.addEventListener("abort", () => resolve(), { once: true });
        });
        wake = void 0;
      }
    } finally {
      ctx.telemetry.off("tap", onTap);
    }
  })
});

// apps/control-plane/src/router/root.ts
var appRouter = router({
  resources: resourcesRouter,
  services: servicesRouter,
  proxies: proxiesRouter,
  graph: graphRouter,
  metrics: metricsRouter,
  traces: tracesRouter,
  tap: tapRouter
});

// apps/control-plane/src/server.ts
var TRPC_PREFIX = "/trpc";
var PROCEDURE_ALIASES = { "resources.apply": "resources.upsert" };
function resolveAliases(url) {
  const [path6 = "", query] = url.split("?", 2);
  const names = path6.slice(TRPC_PREFIX.length + 1).split(",");
  if (!names.some((n) => n in PROCEDURE_ALIASES)) return url;
  const mapped = names.map((n) => PROCEDURE_ALIASES[n] ?? n).join(",");
  return `${TRPC_PREFIX}/${mapped}${query === void 0 ? "" : `?${query}`}`;
}
function actorFrom(header, params) {
  const fromParams = params?.user;
  if (typeof fromParams === "string" && fromParams) return fromParams.slice(0, 200);
  const value = Array.isArray(header) ? header[0] : header;
  return value ? value.slice(0, 200) : "anonymous";
}
function createServer(services, isReady) {
  const trpcHttp = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PREFIX}/`,
    createContext: ({ req }) => ({ ...services, actor: actorFrom(req.headers["x-trellis-user"]) })
  });
  const trpcWss = new WebSocketServer2({ noServer: true });
  const trpcWs = applyWSSHandler({
    wss: trpcWss,
    router: appRouter,
    createContext: ({ req, info }) => ({ ...services, actor: actorFrom(req.headers["x-trellis-user"], info.connectionParams) }),
    keepAlive: { enabled: true, pingMs: 2e4, pongWaitMs: 5e3 }
  });
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    res.setHeader("access-control-allow-origin", req.headers.origin ?? "*");
    res.setHeader("vary", "origin");
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "content-type",
        "access-control-max-age": "600"
      });
      res.end();
      return;
    }
    if (url.startsWith(`${TRPC_PREFIX}/`)) {
      req.url = resolveAliases(url);
      trpcHttp(req, res);
      return;
    }
    const path6 = url.split("?")[0];
    if (path6 === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path6 === "/readyz") {
      const ready = isReady();
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready\n" : "not ready\n");
    } else if (path6 === "/metrics") {
      services.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": services.metrics.registry.contentType }).end(text),
        (err) => res.writeHead(500).end(err.message)
      );
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path6}; the API is at ${TRPC_PREFIX}
`);
    }
  });
  server.on("upgrade", (req, socket, head) => {
    const path6 = (req.url ?? "").split("?")[0];
    if (path6 === STREAM_PATH) {
      services.stream.wss.handleUpgrade(req, socket, head, (ws) => services.stream.wss.emit("connection", ws, req));
    } else if (path6 === TRPC_PREFIX || path6?.startsWith(`${TRPC_PREFIX}/`)) {
      trpcWss.handleUpgrade(req, socket, head, (ws) => trpcWss.emit("connection", ws, req));
    } else {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
    }
  });
  return {
    server,
    /** Tells tRPC subscribers to reconnect elsewhere, then closes their sockets. */
    closeWebSockets: async () => {
      trpcWs.broadcastReconnectNotification();
      for (const ws of trpcWss.clients) ws.terminate();
      await new Promise((resolve) => trpcWss.close(() => resolve()));
    }
  };
}

// apps/control-plane/src/telemetry/index.ts
import { EventEmitter as EventEmitter6 } from "node:events";

// apps/control-plane/src/telemetry/windows.ts
var Ring = class {
  constructor(slots, slotMs) {
    this.slots = slots;
    this.slotMs = slotMs;
    this.buckets = new Array(slots);
    this.stamps = new Float64Array(slots).fill(-1);
  }
  slots;
  slotMs;
  buckets;
  stamps;
  bucketAt(t2) {
    const slot = Math.floor(t2 / this.slotMs);
    const i = slot % this.slots;
    let b = this.buckets[i];
    if (!b || this.stamps[i] !== slot) {
      b = { codes: [0, 0, 0, 0], latency: /* @__PURE__ */ new Map(), retries: 0, rateLimited: 0, ejections: 0 };
      this.buckets[i] = b;
      this.stamps[i] = slot;
    }
    return b;
  }
  /** The bucket of slot number `slot`, if it still holds that slot's data. */
  get(slot) {
    const i = slot % this.slots;
    return this.stamps[i] === slot ? this.buckets[i] : void 0;
  }
};
var SECOND_SLOTS = 15 * 60;
var MINUTE_SLOTS = 24 * 60;
var MetricWindows = class {
  constructor(maxSeries = 1e4, now = Date.now) {
    this.maxSeries = maxSeries;
    this.now = now;
  }
  maxSeries;
  now;
  series = /* @__PURE__ */ new Map();
  get size() {
    return this.series.size;
  }
  /** Adds one proxy report's edge deltas at the time they arrive. */
  add(edges, at = this.now()) {
    for (const e of edges) {
      const key = `${e.source}|${e.destination}|${e.route}|${e.version ?? ""}`;
      let s = this.series.get(key);
      if (!s) {
        if (this.series.size >= this.maxSeries) this.evictOldest();
        s = {
          source: e.source,
          destination: e.destination,
          route: e.route,
          version: e.version ?? "",
          seconds: new Ring(SECOND_SLOTS, 1e3),
          minutes: new Ring(MINUTE_SLOTS, 6e4),
          lastUpdate: at
        };
        this.series.set(key, s);
      } else {
        this.series.delete(key);
        this.series.set(key, s);
      }
      s.lastUpdate = at;
      for (const b of [s.seconds.bucketAt(at), s.minutes.bucketAt(at)]) {
        b.codes[0] += e.codes["2xx"];
        b.codes[1] += e.codes["3xx"];
        b.codes[2] += e.codes["4xx"];
        b.codes[3] += e.codes["5xx"];
        for (const [idx, n] of Object.entries(e.latency)) b.latency.set(Number(idx), (b.latency.get(Number(idx)) ?? 0) + n);
        b.retries += e.retries;
        b.rateLimited += e.rateLimited;
        b.ejections += e.ejections;
      }
    }
  }
  /** The series keys seen in the last `windowMs`, optionally filtered. */
  keys(windowMs, filter = () => true) {
    const since = this.now() - windowMs;
    return [...this.series.values()].filter((s) => s.lastUpdate >= since && filter(s)).map(({ source, destination, route, version }) => ({ source, destination, route, version }));
  }
  /**
   * Totals over the last `windowMs` (whole seconds that have ended, so a half-filled current second
   * does not drag rates down) for the series `filter` accepts.
   */
  stats(windowMs, filter) {
    const seconds = Math.max(1, Math.round(windowMs / 1e3));
    const last = Math.floor(this.now() / 1e3) - 1;
    const acc = emptyAcc();
    for (const s of this.series.values()) {
      if (!filter(s)) continue;
      for (let slot = last - seconds + 1; slot <= last; slot++) accumulate(acc, s.seconds.get(slot));
    }
    return finish(acc, seconds);
  }
  /** Like stats(), for many groups in one pass: `groupOf` names a series' group (undefined skips it). */
  statsBy(windowMs, groupOf) {
    const seconds = Math.max(1, Math.round(windowMs / 1e3));
    const last = Math.floor(this.now() / 1e3) - 1;
    const since = this.now() - windowMs - 1e3;
    const accs = /* @__PURE__ */ new Map();
    for (const s of this.series.values()) {
      if (s.lastUpdate < since) continue;
      const group = groupOf(s);
      if (group === void 0) continue;
      let acc = accs.get(group);
      if (!acc) accs.set(group, acc = emptyAcc());
      for (let slot = last - seconds + 1; slot <= last; slot++) accumulate(acc, s.seconds.get(slot));
    }
    return new Map([...accs].map(([g, acc]) => [g, finish(acc, seconds)]));
  }
  /**
   * Points over the last `windowMs`, at 1 s (windows up to 15 minutes) or 1 min resolution, merged
   * into at most `maxPoints` points.
   */
  points(windowMs, filter, maxPoints = 300) {
    const useSeconds = windowMs <= SECOND_SLOTS * 1e3;
    const slotMs = useSeconds ? 1e3 : 6e4;
    const slots = Math.min(Math.ceil(windowMs / slotMs), useSeconds ? SECOND_SLOTS : MINUTE_SLOTS);
    const step = Math.max(1, Math.ceil(slots / maxPoints));
    const last = Math.floor(this.now() / slotMs) - 1;
    const first = last - slots + 1;
    const matching = [...this.series.values()].filter(filter);
    const points = [];
    for (let start = first; start <= last; start += step) {
      const acc = emptyAcc();
      for (let slot = start; slot < start + step && slot <= last; slot++) {
        for (const s of matching) accumulate(acc, (useSeconds ? s.seconds : s.minutes).get(slot));
      }
      points.push({ t: start * slotMs, ...finish(acc, step * slotMs / 1e3) });
    }
    return { resolutionSeconds: step * slotMs / 1e3, points };
  }
  evictOldest() {
    const oldest = this.series.keys().next();
    if (!oldest.done) this.series.delete(oldest.value);
  }
};
var emptyAcc = () => ({ codes: [0, 0, 0, 0], latency: /* @__PURE__ */ new Map(), retries: 0, rateLimited: 0, ejections: 0 });
function accumulate(acc, b) {
  if (!b) return;
  for (let i = 0; i < 4; i++) acc.codes[i] = (acc.codes[i] ?? 0) + (b.codes[i] ?? 0);
  for (const [idx, n] of b.latency) acc.latency.set(idx, (acc.latency.get(idx) ?? 0) + n);
  acc.retries += b.retries;
  acc.rateLimited += b.rateLimited;
  acc.ejections += b.ejections;
}
function finish(acc, seconds) {
  const [c2, c3, c4, c5] = acc.codes;
  const requests = c2 + c3 + c4 + c5;
  const round = (v) => v === null ? null : Math.round(v * 1e3) / 1e3;
  return {
    requests,
    rps: requests / seconds,
    successRate: requests ? (requests - c5) / requests : null,
    p50Ms: round(histogramQuantile(acc.latency, 0.5)),
    p95Ms: round(histogramQuantile(acc.latency, 0.95)),
    p99Ms: round(histogramQuantile(acc.latency, 0.99)),
    retriesPerSecond: acc.retries / seconds,
    rateLimitedPerSecond: acc.rateLimited / seconds,
    ejections: acc.ejections,
    codes: { "2xx": c2, "3xx": c3, "4xx": c4, "5xx": c5 }
  };
}

// apps/control-plane/src/telemetry/span-store.ts
import { EventEmitter as EventEmitter5 } from "node:events";
var SpanStore = class extends EventEmitter5 {
  constructor(prisma, options) {
    super();
    this.prisma = prisma;
    this.options = options;
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 500);
    this.timer.unref();
  }
  prisma;
  options;
  pending = [];
  flushing = Promise.resolve();
  timer;
  dropped = 0;
  written = 0;
  add(spans) {
    const room = (this.options.maxPending ?? 5e4) - this.pending.length;
    if (room < spans.length) this.dropped += spans.length - Math.max(0, room);
    const accepted = room >= spans.length ? spans : spans.slice(0, Math.max(0, room));
    for (const s of accepted) {
      this.pending.push(s);
      this.emit("span", s);
    }
  }
  /** Writes everything received so far. */
  flush() {
    this.flushing = this.flushing.then(async () => {
      while (this.pending.length) {
        const batch = this.pending.splice(0, 1e3);
        try {
          const { count } = await this.prisma.span.createMany({ data: batch.map(toRow), skipDuplicates: true });
          this.written += count;
        } catch (err) {
          this.dropped += batch.length;
          this.emit("error", err);
        }
      }
    });
    return this.flushing;
  }
  /** Deletes spans past the age limit, then the oldest beyond the count limit. Returns how many went. */
  async enforceRetention(now = Date.now()) {
    await this.flush();
    const byAge = await this.prisma.span.deleteMany({ where: { startTime: { lt: new Date(now - this.options.maxAgeMs) } } });
    const total = await this.prisma.span.count();
    let byCount = 0;
    if (total > this.options.maxSpans) {
      const excess = total - this.options.maxSpans;
      byCount = await this.prisma.$executeRawUnsafe(
        'DELETE FROM "spans" WHERE "span_id" IN (SELECT "span_id" FROM "spans" ORDER BY "start_time" ASC LIMIT $1)',
        excess
      );
    }
    return byAge.count + byCount;
  }
  async close() {
    clearInterval(this.timer);
    await this.flush();
  }
  /** Traces with at least one span matching the filters, newest first. */
  async search(q) {
    await this.flush();
    const where = {
      ...q.service ? { service: q.service } : {},
      ...q.source && q.destination ? { service: q.source, peerService: q.destination, kind: "client" } : {},
      ...q.status === "error" ? { error: true } : q.status === "ok" ? { error: false } : typeof q.status === "number" ? { status: q.status } : {},
      ...q.minDurationMs !== void 0 ? { durationMs: { gte: q.minDurationMs } } : {},
      ...q.fromMs !== void 0 || q.toMs !== void 0 ? { startTime: { ...q.fromMs !== void 0 ? { gte: new Date(q.fromMs) } : {}, ...q.toMs !== void 0 ? { lte: new Date(q.toMs) } : {} } } : {}
    };
    const hits = await this.prisma.span.findMany({
      where,
      select: { traceId: true },
      orderBy: { startTime: "desc" },
      take: Math.min(q.limit ?? 50, 500) * 4
    });
    const ids = [...new Set(hits.map((h) => h.traceId))].slice(0, Math.min(q.limit ?? 50, 500));
    if (ids.length === 0) return [];
    const rows = await this.prisma.span.findMany({ where: { traceId: { in: ids } } });
    const byTrace = /* @__PURE__ */ new Map();
    for (const r of rows) byTrace.set(r.traceId, [...byTrace.get(r.traceId) ?? [], r]);
    return ids.flatMap((id) => {
      const spans = byTrace.get(id);
      return spans ? [summarize(id, spans)] : [];
    });
  }
  /** Every span of one trace, ordered by start time (the tree is in parentSpanId). */
  async trace(traceId) {
    await this.flush();
    const rows = await this.prisma.span.findMany({ where: { traceId }, orderBy: { startTime: "asc" } });
    return rows.map(fromRow);
  }
};
function toRow(s) {
  const peer = s.attributes[s.kind === "client" ? "destination" : "source"];
  return {
    spanId: s.spanId,
    traceId: s.traceId,
    parentSpanId: s.parentSpanId ?? null,
    kind: s.kind,
    service: s.service,
    peerService: typeof peer === "string" ? peer : null,
    name: s.name,
    startTime: new Date(s.startMs),
    durationMs: s.durationMs,
    status: s.status,
    error: s.error,
    attributes: s.attributes
  };
}
function fromRow(r) {
  return {
    traceId: r.traceId,
    spanId: r.spanId,
    ...r.parentSpanId ? { parentSpanId: r.parentSpanId } : {},
    kind: r.kind,
    service: r.service,
    peerService: r.peerService,
    name: r.name,
    startMs: r.startTime.getTime(),
    durationMs: r.durationMs,
    status: r.status,
    error: r.error,
    attributes: r.attributes
  };
}
function summarize(traceId, spans) {
  const ids = new Set(spans.map((s) => s.spanId));
  const sorted = [...spans].sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  const root = sorted.find((s) => !s.parentSpanId || !ids.has(s.parentSpanId)) ?? sorted[0];
  const start = Math.min(...spans.map((s) => s.startTime.getTime()));
  const end = Math.max(...spans.map((s) => s.startTime.getTime() + s.durationMs));
  return {
    traceId,
    rootService: root?.service ?? "",
    rootName: root?.name ?? "",
    startMs: start,
    durationMs: Math.round((end - start) * 1e3) / 1e3,
    spanCount: spans.length,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    error: spans.some((s) => s.error),
    status: root?.status ?? 0
  };
}

// apps/control-plane/src/telemetry/otlp.ts
function attribute(key, value) {
  if (typeof value === "string") return { key, value: { stringValue: value } };
  if (typeof value === "boolean") return { key, value: { boolValue: value } };
  return Number.isInteger(value) ? { key, value: { intValue: String(value) } } : { key, value: { doubleValue: value } };
}
var nanos = (ms2) => (BigInt(Math.round(ms2 * 1e3)) * 1000n).toString();
function toOtlp(spans) {
  const byService = /* @__PURE__ */ new Map();
  for (const s of spans) byService.set(s.service, [...byService.get(s.service) ?? [], s]);
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [attribute("service.name", service)] },
      scopeSpans: [
        {
          scope: { name: "trellis-proxy" },
          spans: list.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            ...s.parentSpanId ? { parentSpanId: s.parentSpanId } : {},
            name: s.name,
            kind: s.kind === "server" ? 2 : 3,
            startTimeUnixNano: nanos(s.startMs),
            endTimeUnixNano: nanos(s.startMs + s.durationMs),
            attributes: [attribute("http.response.status_code", s.status), ...Object.entries(s.attributes).map(([k, v]) => attribute(k, v))],
            status: { code: s.error ? 2 : 1 }
          }))
        }
      ]
    }))
  };
}
var OtlpExporter = class {
  constructor(endpoint) {
    this.endpoint = endpoint;
    this.timer = setInterval(() => void this.flush(), 1e3);
    this.timer.unref();
  }
  endpoint;
  pending = [];
  timer;
  failures = 0;
  exported = 0;
  add(spans) {
    if (this.pending.length < 5e4) this.pending.push(...spans);
  }
  async flush() {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, 5e3);
    try {
      const res = await fetch(`${this.endpoint.replace(/\/$/, "")}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(toOtlp(batch)),
        signal: AbortSignal.timeout(5e3)
      });
      if (!res.ok) this.failures++;
      else this.exported += batch.length;
    } catch {
      this.failures++;
    }
  }
  async close() {
    clearInterval(this.timer);
    await this.flush();
  }
};

// apps/control-plane/src/telemetry/tap.ts
function tapEvent(span) {
  if (span.kind !== "server") return void 0;
  const a = span.attributes;
  const text = (v, fallback) => typeof v === "string" ? v : fallback;
  return {
    at: span.startMs,
    traceId: span.traceId,
    service: span.service,
    source: text(a.source, "external"),
    method: text(a["http.method"], ""),
    path: text(a["http.path"], ""),
    route: text(a.route, span.name),
    status: span.status,
    latencyMs: span.durationMs
  };
}

// apps/control-plane/src/telemetry/index.ts
var Telemetry = class extends EventEmitter6 {
  windows;
  spans;
  otlp;
  retention;
  deltasReceived = 0;
  spansReceived = 0;
  constructor(prisma, options) {
    super();
    this.setMaxListeners(1e3);
    this.windows = new MetricWindows(options.maxSeries);
    this.spans = new SpanStore(prisma, { maxAgeMs: options.spanMaxAgeMs, maxSpans: options.maxSpans });
    this.spans.on("error", (err) => this.emit("warning", `span write failed: ${err.message}`));
    this.otlp = options.otlpEndpoint ? new OtlpExporter(options.otlpEndpoint) : void 0;
    this.retention = setInterval(() => {
      this.spans.enforceRetention().catch((err) => this.emit("warning", `span retention failed: ${err.message}`));
    }, options.retentionEveryMs ?? 3e4);
    this.retention.unref();
  }
  ingestMetrics(report) {
    this.deltasReceived += report.edges.length;
    this.windows.add(report.edges);
  }
  ingestSpans(spans) {
    this.spansReceived += spans.length;
    this.spans.add(spans);
    this.otlp?.add(spans);
    if (this.listenerCount("tap") === 0) return;
    for (const s of spans) {
      const event = tapEvent(s);
      if (event) this.emit("tap", event);
    }
  }
  async close() {
    clearInterval(this.retention);
    await this.spans.close();
    await this.otlp?.close();
  }
};

// apps/control-plane/src/index.ts
var DEFAULT_DATA_DIR = path4.join(".trellis", "data");
var DEFAULT_PORT = 7400;
async function startControlPlane(options) {
  const log = options.log ?? (() => {
  });
  const db = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, log });
  const metrics = createMetrics();
  const store = new ResourceStore(db.prisma);
  const registry = new EndpointRegistry();
  const distributor = new ConfigDistributor(store, registry, new VersionCounter(db.prisma), {
    defaultSampling: options.defaultSampling ?? 1,
    redisUrl: options.redisUrl
  });
  distributor.on("error", (err) => log(`config compile failed: ${err.message}`));
  await distributor.start();
  const stream = new StreamServer(distributor, registry, metrics, { endpointGraceMs: options.endpointGraceMs ?? 1e4 });
  const telemetry = new Telemetry(db.prisma, {
    spanMaxAgeMs: options.spanMaxAgeMs ?? 24 * 36e5,
    maxSpans: options.maxSpans ?? 2e5,
    otlpEndpoint: options.otlpEndpoint
  });
  telemetry.on("warning", log);
  metrics.observeTelemetry(telemetry);
  stream.on("metrics", (_session, report) => telemetry.ingestMetrics(report));
  stream.on("spans", (session, spans) => {
    const ns = session.identity.namespace;
    telemetry.ingestSpans(spans.map((s) => s.service.includes(".") ? s : { ...s, service: `${s.service}.${ns}` }));
  });
  const services = { prisma: db.prisma, store, registry, distributor, stream, metrics, telemetry };
  let ready = false;
  const { server, closeWebSockets } = createServer(services, () => ready);
  server.keepAliveTimeout = 65e3;
  await new Promise((resolve, reject) => {
    server.once("error", (err) => {
      reject(
        err.code === "EADDRINUSE" ? new Error(`port ${options.port} is already in use; stop what is using it or pass --port (or PORT)`) : err
      );
    });
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  }).catch(async (err) => {
    distributor.stop();
    await stream.close();
    await db.close();
    throw err;
  });
  ready = true;
  const { port } = server.address();
  const host = options.host && options.host !== "0.0.0.0" && options.host !== "::" ? options.host : "127.0.0.1";
  log(`control plane listening on http://${host}:${port} (database: ${db.description})`);
  let closing;
  return {
    url: `http://${host}:${port}`,
    port,
    services,
    close: () => closing ??= (async () => {
      ready = false;
      distributor.stop();
      await stream.close();
      await closeWebSockets();
      await telemetry.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
      await db.close();
    })()
  };
}

// apps/cli/src/commands/control-plane.ts
var USAGE = "trellis control-plane [--port 7400] [--host 127.0.0.1] [--data-dir .trellis/data] [--database-url postgres://...] [--redis-url redis://...]";
async function run(argv) {
  const { values } = parseCommandArgs("control-plane", argv, {
    port: { type: "string" },
    host: { type: "string" },
    "data-dir": { type: "string" },
    "database-url": { type: "string" },
    "redis-url": { type: "string" },
    "trace-sampling": { type: "string" },
    "endpoint-grace": { type: "string" },
    help: { type: "boolean", short: "h" }
  }, USAGE);
  if (values.help) {
    process.stdout.write(`usage: ${USAGE}

Without --database-url (or DATABASE_URL) the embedded PGlite database in --data-dir (TRELLIS_DATA_DIR) is used.
`);
    return 0;
  }
  const sampling = values["trace-sampling"] === void 0 ? void 0 : Number(values["trace-sampling"]);
  if (sampling !== void 0 && !(sampling >= 0 && sampling <= 1)) throw new CliError("--trace-sampling: must be a number from 0 to 1", 2);
  const graceMs = values["endpoint-grace"] === void 0 ? void 0 : Number(values["endpoint-grace"]);
  if (graceMs !== void 0 && !(graceMs >= 0)) throw new CliError("--endpoint-grace: must be milliseconds (a number >= 0)", 2);
  const log = (line) => process.stdout.write(`[control-plane] ${line}
`);
  let cp2;
  try {
    cp2 = await startControlPlane({
      port: parsePort(values.port ?? cliEnv.port, values.port ? "--port" : "PORT", DEFAULT_PORT),
      host: values.host ?? "127.0.0.1",
      databaseUrl: values["database-url"] ?? cliEnv.databaseUrl,
      dataDir: path5.resolve(values["data-dir"] ?? cliEnv.dataDir ?? DEFAULT_DATA_DIR),
      redisUrl: values["redis-url"] ?? cliEnv.redisUrl ?? "redis://127.0.0.1:6379",
      ...sampling !== void 0 ? { defaultSampling: sampling } : {},
      ...graceMs !== void 0 ? { endpointGraceMs: graceMs } : {},
      log
    });
  } catch (err) {
    throw new CliError(`trellis control-plane: ${err.message}`);
  }
  const control = cp2;
  await new Promise((resolve) => {
    const stop = (signal) => {
      log(`${signal}: stopping`);
      control.close().then(resolve, resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  return 0;
}
export {
  run
};
//# sourceMappingURL=control-plane-KAHEL4QO.js.map
