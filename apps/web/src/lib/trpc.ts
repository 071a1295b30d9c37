import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@trellis/control-plane/router';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type ServiceGraph = RouterOutputs['graph']['get'];
export type GraphNode = ServiceGraph['nodes'][number];
export type GraphEdge = ServiceGraph['edges'][number];
export type Stats = GraphEdge['stats'];
export type ServiceSummary = RouterOutputs['services']['list'][number];
export type ProxyStatus = RouterOutputs['proxies']['list'][number];
export type TraceSummary = RouterOutputs['traces']['search'][number];
export type TraceSpan = RouterOutputs['traces']['get']['spans'][number];
export type SeriesPoint = RouterOutputs['metrics']['series']['points'][number];
export type TapEvent = RouterOutputs['tap']['watch'] extends AsyncIterable<infer T> ? T : never;
export type Revision = RouterOutputs['resources']['history'][number];
export type StoredResource = RouterOutputs['resources']['list'][number];
