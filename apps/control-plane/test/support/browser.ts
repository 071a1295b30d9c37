import { request } from 'undici';

/**
 * What a browser does that the sign-in tests need, over real HTTP: cookies per host (honouring Max-Age=0
 * and Path), following redirects, and submitting the HTML forms the issuer shows. `aliases` maps an
 * origin to where it is really served (the dashboard's origin to the control plane, as the dashboard's
 * proxy does).
 */
export class TestBrowser {
  private readonly jar = new Map<string, Map<string, { value: string; path: string }>>();

  constructor(private readonly aliases: Record<string, string> = {}) {}

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(new URL(origin).host)?.get(name)?.value;
  }

  private cookieHeader(url: URL): string {
    const cookies = this.jar.get(url.host) ?? new Map<string, { value: string; path: string }>();
    return [...cookies].filter(([, c]) => url.pathname.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ');
  }

  private store(url: URL, setCookie: string | string[] | undefined): void {
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()));
      const cookies = this.jar.get(url.host) ?? new Map<string, { value: string; path: string }>();
      if (expired) cookies.delete(name);
      else cookies.set(name, { value: pair.slice(eq + 1), path });
      this.jar.set(url.host, cookies);
    }
  }

  /** One request (no redirect following); the body as text. */
  async fetch(href: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const url = new URL(href);
    const target = new URL(href);
    const alias = this.aliases[url.origin];
    if (alias) {
      const real = new URL(alias);
      target.protocol = real.protocol;
      target.host = real.host;
    }
    const cookie = this.cookieHeader(url);
    const res = await request(target, {
      method: (init.method ?? 'GET') as 'GET',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...init.headers,
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    this.store(url, res.headers['set-cookie']);
    const location = res.headers.location;
    return { status: res.statusCode, location: typeof location === 'string' ? new URL(location, url).href : undefined, body: await res.body.text(), url: url.href };
  }

  /** Follows redirects from `href` until a page answers; returns it (and every URL visited). */
  async visit(href: string, init: Parameters<TestBrowser['fetch']>[1] = {}) {
    const visited: string[] = [];
    let res = await this.fetch(href, init);
    visited.push(res.url);
    for (let hops = 0; res.location && hops < 20; hops++) {
      res = await this.fetch(res.location);
      visited.push(res.url);
    }
    return { ...res, visited };
  }

  /** Submits the first form of `page` (as the browser would), with `fields` filled in; follows redirects. */
  async submit(page: { body: string; url: string }, fields: Record<string, string> = {}) {
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(page.body);
    if (!form?.[1]) throw new Error(`no form on ${page.url}:\n${page.body.slice(0, 500)}`);
    const hidden = Object.fromEntries([...(form[2] ?? '').matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const action = new URL(form[1].replace(/&amp;/g, '&'), page.url).href;
    const res = await this.fetch(action, { method: 'POST', form: { ...hidden, ...fields } });
    return res.location ? this.visit(res.location) : { ...res, visited: [res.url] };
  }
}
