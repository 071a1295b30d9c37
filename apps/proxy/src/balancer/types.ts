import type { ProxyRequest } from '../http/types.ts';
import type { EndpointState } from '../upstream/endpoint.ts';

/** Chooses one available endpoint of `list` for `req`, or undefined when none is available. */
export type PickAlgorithm = (list: readonly EndpointState[], req: ProxyRequest, now: number) => EndpointState | undefined;
