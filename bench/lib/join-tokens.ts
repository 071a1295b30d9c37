// Simulated proxies join the mesh as real ones do: each with a join token for its service.

/**
 * One join token per service, made through the control plane's API (`identity.joinTokens.create`),
 * several at a time. `bearer` is the admin token when the control plane asks for one.
 */
export async function joinTokens(url: string, services: Iterable<string>, bearer?: string, namespaceOf: (service: string) => string = () => 'default'): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const todo = [...new Set(services)];
  const create = async (service: string) => {
    const res = await fetch(`${url}/trpc/identity.joinTokens.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ service, namespace: namespaceOf(service), ttl: '1h' }),
    });
    if (!res.ok) throw new Error(`could not create a join token for ${service}: ${res.status} ${await res.text()}`);
    tokens.set(service, ((await res.json()) as { result: { data: { token: string } } }).result.data.token);
  };
  for (let i = 0; i < todo.length; i += 20) await Promise.all(todo.slice(i, i + 20).map(create));
  return tokens;
}
