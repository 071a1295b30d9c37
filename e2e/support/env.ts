/**
 * Where the e2e product runs: ports away from `npm start`'s defaults, so both can run at once
 * (TRELLIS_E2E_PORT moves the whole block: control plane, dashboard +1, demo mesh from +10). To run the
 * specs against a product that is already up, set TRELLIS_E2E_DASHBOARD and TRELLIS_E2E_SERVER.
 */
const BASE = Number(process.env.TRELLIS_E2E_PORT ?? 17400);
export const EXISTING = !!process.env.TRELLIS_E2E_DASHBOARD;
export const CONTROL_PLANE = process.env.TRELLIS_E2E_SERVER ?? `http://127.0.0.1:${BASE}`;
export const DASHBOARD = process.env.TRELLIS_E2E_DASHBOARD ?? `http://127.0.0.1:${BASE + 1}`;
export const PORT_BASE = BASE + 10;
