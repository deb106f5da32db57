import type { z } from 'zod';

/** `models[2].fallbacks[0]`: array indexes in brackets, keys after dots. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text || '(root)';
}

export function problem(path: readonly PropertyKey[], message: string): string {
  return `${formatPath(path)}: ${message}`;
}

/** Zod's issues as `path: message`, one line per unknown field so each names its own path. */
export function zodProblems(issues: readonly z.core.$ZodIssue[], reportedElsewhere: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const line = problem([...issue.path, key], 'unknown field');
        if (!reportedElsewhere.has(formatPath([...issue.path, key]))) problems.push(line);
      }
    } else {
      problems.push(problem(issue.path, issue.message));
    }
  }
  return problems;
}
