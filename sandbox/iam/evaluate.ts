/**
 * evaluate: a small IAM policy evaluator for the subset Stratus's backend
 * template uses, so the sandbox enforces the deployed policy document itself
 * rather than a hand-written imitation of it. Identity-based policies only.
 *
 * Supported, with IAM's semantics:
 *   - Effect Allow / Deny; an explicit Deny beats any Allow; nothing matching
 *     is an implicit deny.
 *   - Action: exact or with `*` / `?` wildcards, case-insensitive.
 *   - Resource: ARNs with `*` / `?` wildcards (`*` also spans `/`), case-sensitive,
 *     with policy variables (`${cognito-identity.amazonaws.com:sub}`, and the
 *     escapes `${*}`, `${?}`, `${$}`) substituted as literal text. A variable the
 *     request does not define makes the resource (or condition value) match nothing.
 *   - Condition operators StringLike, StringEquals and Bool (several operators,
 *     and several keys within one, must all hold; several values of one key are
 *     alternatives; a key the request lacks makes the condition false).
 * Anything else (NotAction, NotResource, Principal, other operators, `…IfExists`,
 * `ForAnyValue:`…) throws UnsupportedPolicyError: better loud than a wrong answer.
 */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | boolean | readonly (string | boolean)[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

export interface AuthorizationRequest {
  /** e.g. `s3:GetObject` */
  readonly action: string;
  /** e.g. `arn:aws:s3:::stratus/us-east-1:…/notes.txt` */
  readonly resource: string;
  /** Condition keys of the request, e.g. `s3:prefix`, `aws:SecureTransport`; absent keys are undefined. */
  readonly context?: Readonly<Record<string, string | boolean | undefined>>;
  /** Policy variables, e.g. `{ 'cognito-identity.amazonaws.com:sub': 'us-east-1:…' }`. */
  readonly variables?: Readonly<Record<string, string>>;
}

/** `ImplicitDeny`: no statement allowed it; `Deny`: a statement denied it explicitly. */
export type Decision = 'Allow' | 'Deny' | 'ImplicitDeny';

export class UnsupportedPolicyError extends Error {
  override readonly name = 'UnsupportedPolicyError';
}

const SUPPORTED_KEYS = new Set(['Sid', 'Effect', 'Action', 'Resource', 'Condition']);
const SUPPORTED_OPERATORS = new Set(['StringLike', 'StringEquals', 'Bool']);

/** One piece of a pattern: literal text, or a wildcard. */
type Piece = { readonly literal: string } | { readonly wildcard: '*' | '?' };

/**
 * Splits `pattern` into literal text and wildcards, substituting `${…}`
 * variables as literal text. Undefined when a variable has no value.
 */
function parsePattern(pattern: string, variables: Readonly<Record<string, string>>, withVariables: boolean): Piece[] | undefined {
  const pieces: Piece[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (withVariables && c === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2);
      if (end === -1) throw new UnsupportedPolicyError(`unterminated policy variable in ${JSON.stringify(pattern)}`);
      const name = pattern.slice(i + 2, end);
      const escaped = name === '*' || name === '?' || name === '$' ? name : undefined;
      const value = escaped ?? (Object.hasOwn(variables, name) ? variables[name] : undefined);
      if (value === undefined) return undefined;
      pieces.push({ literal: value });
      i = end + 1;
    } else if (c === '*' || c === '?') {
      pieces.push({ wildcard: c });
      i++;
    } else {
      pieces.push({ literal: c });
      i++;
    }
  }
  return pieces;
}

function toRegExp(pieces: readonly Piece[], ignoreCase: boolean): RegExp {
  const source = pieces.map((p) => ('literal' in p
    ? p.literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    : p.wildcard === '*' ? '[\\s\\S]*' : '[\\s\\S]')).join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'iu' : 'u');
}

function likeMatch(pattern: string, value: string, variables: Readonly<Record<string, string>>, opts: { ignoreCase: boolean; withVariables: boolean }): boolean {
  const pieces = parsePattern(pattern, variables, opts.withVariables);
  return pieces !== undefined && toRegExp(pieces, opts.ignoreCase).test(value);
}

function list<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function conditionHolds(operator: string, key: string, expected: readonly (string | boolean)[], request: AuthorizationRequest, variables: Readonly<Record<string, string>>): boolean {
  const actual = request.context?.[key];
  if (actual === undefined) return false;
  const text = String(actual);
  switch (operator) {
    case 'StringLike':
      return expected.some((e) => likeMatch(String(e), text, variables, { ignoreCase: false, withVariables: true }));
    case 'StringEquals':
      return expected.some((e) => {
        const pieces = parsePattern(String(e), variables, true);
        // StringEquals takes no wildcards: `*` and `?` are plain characters.
        return pieces !== undefined && pieces.map((p) => ('literal' in p ? p.literal : p.wildcard)).join('') === text;
      });
    case 'Bool':
      return expected.some((e) => String(e).toLowerCase() === text.toLowerCase());
    default:
      throw new UnsupportedPolicyError(`condition operator ${operator} is not supported`);
  }
}

function statementApplies(s: PolicyStatement, request: AuthorizationRequest, variables: Readonly<Record<string, string>>): boolean {
  for (const key of Object.keys(s)) if (!SUPPORTED_KEYS.has(key)) throw new UnsupportedPolicyError(`statement element ${key} is not supported`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new UnsupportedPolicyError(`Effect must be Allow or Deny, got ${String(s.Effect)}`);
  if (!list(s.Action).some((a) => likeMatch(a, request.action, variables, { ignoreCase: true, withVariables: false }))) return false;
  if (!list(s.Resource).some((r) => likeMatch(r, request.resource, variables, { ignoreCase: false, withVariables: true }))) return false;
  for (const [operator, block] of Object.entries(s.Condition ?? {})) {
    if (!SUPPORTED_OPERATORS.has(operator)) throw new UnsupportedPolicyError(`condition operator ${operator} is not supported`);
    for (const [key, values] of Object.entries(block)) {
      if (!conditionHolds(operator, key, list(values), request, variables)) return false;
    }
  }
  return true;
}

/**
 * The decision of `documents` (the policies that apply to one principal) on
 * one request: explicit Deny > Allow > implicit deny.
 */
export function evaluate(documents: readonly PolicyDocument[], request: AuthorizationRequest): Decision {
  const variables = request.variables ?? {};
  let allowed = false;
  for (const doc of documents) {
    if (doc.Version !== '2012-10-17') throw new UnsupportedPolicyError(`policy Version must be 2012-10-17 (policy variables need it), got ${String(doc.Version)}`);
    for (const s of list(doc.Statement)) {
      if (!statementApplies(s, request, variables)) continue;
      if (s.Effect === 'Deny') return 'Deny';
      allowed = true;
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}
