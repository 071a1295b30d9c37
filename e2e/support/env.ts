/**
 * Where the e2e product runs: ports away from `npm start`'s defaults, so both can run at once. To run
 * the specs against a product that is already up, set TRELLIS_E2E_DASHBOARD and TRELLIS_E2E_SERVER.
 */
export const EXISTING = !!process.env.TRELLIS_E2E_DASHBOARD;
export const CONTROL_PLANE = process.env.TRELLIS_E2E_SERVER ?? 'http://127.0.0.1:17400';
export const DASHBOARD = process.env.TRELLIS_E2E_DASHBOARD ?? 'http://127.0.0.1:17401';
export const PORT_BASE = 17410;
