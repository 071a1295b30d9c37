/** Header values as Node and undici hand them out: lowercase names, repeated headers as arrays. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** The first value of a header as Node and undici hand it out (a string, or an array when repeated). */
export function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
