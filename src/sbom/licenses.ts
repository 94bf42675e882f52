/**
 * Trivy's license strings are SPDX IDs (`MIT`), SPDX expressions (`MIT OR Apache-2.0`) or
 * free text from package metadata (`GPLv3+`, `OpenSSL+`). Both SBOM formats must tell them
 * apart: an ID or expression is machine-readable, a name is not.
 */
import { fixupSpdxId } from '@cyclonedx/cyclonedx-library/SPDX';

export type LicenseChoice =
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'expression'; readonly expression: string }
  | { readonly kind: 'name'; readonly name: string };

const OPERATORS = new Set(['AND', 'OR', 'WITH']);

/** A valid SPDX license expression whose every license is on the SPDX list, normalised. */
function spdxExpression(text: string): string | undefined {
  const tokens = text.replace(/[()]/g, ' $& ').trim().split(/\s+/);
  if (!tokens.some((t) => OPERATORS.has(t.toUpperCase()))) return undefined;
  const out: string[] = [];
  let depth = 0;
  let expectOperand = true;
  let afterWith = false;
  for (const token of tokens) {
    if (token === '(') {
      if (!expectOperand) return undefined;
      depth++;
      out.push(token);
    } else if (token === ')') {
      if (expectOperand || --depth < 0) return undefined;
      out.push(token);
    } else if (OPERATORS.has(token.toUpperCase())) {
      if (expectOperand) return undefined;
      afterWith = token.toUpperCase() === 'WITH';
      out.push(token.toUpperCase());
      expectOperand = true;
    } else {
      if (!expectOperand) return undefined;
      if (afterWith) {
        // Exception IDs are a separate SPDX list; accept their ID syntax.
        if (!/^[A-Za-z0-9.-]+$/.test(token)) return undefined;
        out.push(token);
      } else {
        const plus = token.endsWith('+');
        const id = fixupSpdxId(plus ? token.slice(0, -1) : token);
        if (id === undefined) return undefined;
        out.push(plus ? `${id}+` : id);
      }
      afterWith = false;
      expectOperand = false;
    }
  }
  if (expectOperand || depth !== 0) return undefined;
  return out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
}

export function classifyLicense(text: string): LicenseChoice {
  const trimmed = text.trim();
  const id = fixupSpdxId(trimmed);
  if (id !== undefined) return { kind: 'id', id };
  const expression = spdxExpression(trimmed);
  if (expression !== undefined) return { kind: 'expression', expression };
  return { kind: 'name', name: trimmed };
}
