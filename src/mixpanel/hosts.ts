/** Mixpanel's own API hosts: where its credentials may go without being allowed explicitly (the CLI checks). */

/** Whether a URL is one of Mixpanel's own: https on mixpanel.com or a subdomain (eu., in.), default port. */
export function isMixpanelUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.port === '' && /^([a-z0-9-]+\.)*mixpanel\.com$/i.test(u.hostname);
  } catch {
    return false;
  }
}
