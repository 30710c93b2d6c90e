import { describe, expect, it } from 'vitest';
import { intentView } from '../../../functions/shared/rules/intent-view.js';
import { dueIntent } from '../../support/intent-fixtures.js';

const metadata = { contact: 'c-19' };

describe('the intent view', () => {
  it("shows the intent's reference and metadata, never its actor", () => {
    const view = intentView({ ...dueIntent(), reference: 'T-1', metadata, actor: 'key:crm' });
    expect(view).toMatchObject({ reference: 'T-1', metadata });
    expect(view).not.toHaveProperty('actor');
    expect(Object.keys(intentView(dueIntent()))).not.toContain('reference');
  });
});
