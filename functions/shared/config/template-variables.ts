import * as z from 'zod';

/**
 * A permission template's variables, apart from the configuration's schema: POST
 * /v1/permission-requests checks a request's variables with it and fills the placeholders, without
 * building the whole configuration schema at a cold start.
 */

/**
 * A template variable's name, as written in a placeholder `{{first_name}}`. Not `__proto__`: as a key
 * of a parsed object it sets the prototype instead, and zod's records leave it out unseen.
 */
export const templateVariableName = /^(?!__proto__$)[a-z_][a-z0-9_]{0,63}$/;
/** Every `{{name}}` placeholder in a parameter's text. */
export const templatePlaceholder = /\{\{(?!__proto__\}\})([a-z_][a-z0-9_]{0,63})\}\}/g;
export const maxTemplateVariableLength = 256;

/**
 * A variable's value: Meta refuses a text parameter with a newline, a tab or more than 4 consecutive
 * spaces, so such a value is a 400 here rather than a Plivo error after the request is counted.
 */
const templateVariableValue = z
  .string()
  .min(1, 'must not be empty')
  .max(maxTemplateVariableLength, `must be at most ${maxTemplateVariableLength} characters`)
  .refine(
    (value) => !/[\p{Cc}]| {5}/u.test(value),
    'must not hold control characters (newline, tab) or more than 4 consecutive spaces',
  );

const notAVariableName =
  'is not a variable name: a-z, 0-9 and _, at most 64, not starting with a digit';

/** Values for the template's placeholders, by name: in the configuration (defaults) or a request. */
export const templateVariablesSchema = z
  .unknown()
  .superRefine((input, context) => {
    // Checked on the input: the record below would drop the key without a word.
    if (input && typeof input === 'object' && Object.hasOwn(input, '__proto__')) {
      context.addIssue({ code: 'custom', path: ['__proto__'], message: notAVariableName });
    }
  })
  .pipe(
    z
      .record(z.string().regex(templateVariableName), templateVariableValue, {
        error: (issue) => (issue.code === 'invalid_key' ? notAVariableName : undefined),
      })
      .refine((variables) => Object.keys(variables).length <= 20, 'at most 20 variables'),
  );

export type TemplateVariables = z.infer<typeof templateVariablesSchema>;
