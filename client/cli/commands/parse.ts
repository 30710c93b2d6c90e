import { InvalidArgumentError } from 'commander';

/** A whole number ≥ 0; anything else is a usage error naming the value. */
export const integerOption = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${value} is not a whole number`);
  return Number(value);
};

/** `--field k=v`, repeatable: each adds one pair, a repeated key keeps the last value. */
export const keyValueOption = (
  value: string,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> => {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError(`${value} is not name=value`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
};
