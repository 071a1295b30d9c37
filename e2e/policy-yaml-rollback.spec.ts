import { expect, test } from './support/test.ts';
import { getResource, mutate } from './support/api.ts';
import { screenshot } from './support/shots.ts';

// A policy this spec creates for itself (a generous timeout on ratings, which answers in a few ms), so
// no other spec sees its edits; deleted at the end.
const name = `e2e-timeout-${Date.now().toString(36)}`;
const created = {
  apiVersion: 'trellis.dev/v1alpha1',
  kind: 'TimeoutPolicy',
  metadata: { name, namespace: 'default' },
  spec: { targetRef: { kind: 'Service', name: 'ratings' }, request: '30s' },
};

test('policy editor: the YAML view is the form\'s resource, and rollback restores an earlier revision', async ({ page }) => {
  await mutate('resources.apply', { resource: created, note: 'e2e: created by the YAML and rollback spec' });
  try {
    await page.goto(`/policies/TimeoutPolicy/default/${name}`);
    const editor = page.getByTestId('policy-editor');
    await expect(editor).toHaveAttribute('data-kind', 'TimeoutPolicy');
    const request = page.getByTestId('field-spec-request');
    await expect(request).toHaveValue('30s');
    await expect(page.getByTestId('field-spec-targetRef-name')).toHaveValue('ratings');

    // An unsaved form edit shows in the YAML view, next to everything else the form holds.
    await request.fill('45s');
    await page.getByTestId('tab-yaml').click();
    const yaml = page.getByTestId('yaml-editor');
    await expect(yaml).toBeVisible();
    // CodeMirror draws each line as a block: innerText is the document, a line each.
    const text = await yaml.innerText();
    for (const line of ['apiVersion: trellis.dev/v1alpha1', 'kind: TimeoutPolicy', `  name: ${name}`, '  namespace: default', '  targetRef:', '    kind: Service', '    name: ratings', '  request: 45s']) {
      expect(text.split('\n'), `YAML line "${line}"`).toContain(line);
    }
    expect(text).not.toContain('resourceVersion');
    await screenshot(page, 'policy-yaml');

    // And the other way: an edit in the YAML is what the form shows.
    // Typed where a person would type it: at the end of that line (CodeMirror takes keystrokes, not fill()).
    await yaml.locator('.cm-line', { hasText: 'request: 45s' }).click();
    await page.keyboard.press('End');
    for (let i = 0; i < '45s'.length; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('1m');
    await expect(yaml).toContainText('request: 1m');
    await page.getByTestId('tab-form').click();
    await expect(request).toHaveValue('1m');

    // Saved as revision 2 (through the diff dialog)...
    await page.getByTestId('review-save').click();
    const dialog = page.getByTestId('review-dialog');
    await expect(dialog.locator('[data-testid="diff-row"][data-path="spec.request"]')).toBeVisible();
    await dialog.getByTestId('change-note').fill('e2e: one minute');
    await dialog.getByTestId('confirm-save').click();
    await expect(dialog).toBeHidden();
    await expect.poll(async () => (await getResource('TimeoutPolicy', name)).spec.request).toBe('1m');

    // ...then rolled back to revision 1 from the history.
    await page.getByTestId('tab-history').click();
    const history = page.getByTestId('history');
    await expect(history.getByTestId('revision')).toHaveCount(2);
    await history.locator('[data-testid="revision"][data-revision="1"]').click();
    await history.getByTestId('rollback-open').click();
    const confirm = page.getByTestId('rollback-dialog');
    await expect(confirm).toBeVisible();
    await expect(confirm).toContainText('spec.request');
    await confirm.getByTestId('rollback-confirm').click();
    await expect(confirm).toBeHidden();

    await expect.poll(async () => (await getResource('TimeoutPolicy', name)).spec.request).toBe('30s');
    await expect(history.getByTestId('revision')).toHaveCount(3);
    await expect(history.locator('[data-testid="revision"][data-revision="3"]')).toContainText('rollback');
    await screenshot(page, 'policy-rollback');
    await page.getByTestId('tab-form').click();
    await expect(request).toHaveValue('30s');
  } finally {
    await mutate('resources.delete', { kind: 'TimeoutPolicy', name, namespace: 'default', note: 'e2e: clean up' });
  }
});
