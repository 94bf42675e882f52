/**
 * VEX documents → statements that mark vulnerabilities not_affected / fixed for products.
 * OpenVEX (https://github.com/openvex/spec, v0.0.x and v0.2.0) and CycloneDX VEX
 * (`vulnerabilities[].analysis.state`). Statements name products by purl; a finding matches
 * when its package purl (or, for statements without subcomponents, the scanned image) does.
 */
import { InputFileError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../json.js';
import type { Vulnerability } from '../model.js';
import { parsePurl, purlMatches, type PackageUrl } from './match.js';

export type VexStatus = 'not_affected' | 'fixed' | 'affected' | 'under_investigation';

export interface VexStatement {
  readonly document: string;
  /** The vulnerability ID and its aliases. */
  readonly ids: readonly string[];
  /** Package URLs the statement is about (products and subcomponents). */
  readonly products: readonly PackageUrl[];
  /** Non-purl product IDs (image references, bom-refs) matched against the artifact name. */
  readonly productNames: readonly string[];
  readonly status: VexStatus;
  readonly justification?: string;
  readonly statement?: string;
  /** Milliseconds since epoch, for "the latest statement wins"; 0 when unknown. */
  readonly timestamp: number;
}

const REMEDY =
  'pass an OpenVEX document (with "statements") or a CycloneDX VEX (with "vulnerabilities")';

export function parseVex(text: string, document: string): VexStatement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputFileError(
      'POLICY_FILE_INVALID',
      document,
      `not valid JSON: ${(err as Error).message}`,
      {
        cause: err,
        remedy: REMEDY,
      },
    );
  }
  if (isJsonObject(doc) && Array.isArray(doc['statements'])) return parseOpenVex(doc, document);
  if (isJsonObject(doc) && doc['bomFormat'] === 'CycloneDX')
    return parseCycloneDxVex(doc, document);
  throw new InputFileError(
    'POLICY_FILE_INVALID',
    document,
    'not an OpenVEX or CycloneDX VEX document',
    {
      remedy: REMEDY,
    },
  );
}

function time(v: unknown): number {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

function splitProducts(ids: string[]): { products: PackageUrl[]; productNames: string[] } {
  const products: PackageUrl[] = [];
  const productNames: string[] = [];
  for (const id of ids) {
    const p = parsePurl(id);
    if (p) products.push(p);
    else productNames.push(id);
  }
  return { products, productNames };
}

const OPENVEX_STATUSES: readonly VexStatus[] = [
  'not_affected',
  'fixed',
  'affected',
  'under_investigation',
];

function parseOpenVex(doc: JsonObject, document: string): VexStatement[] {
  const docTime = time(doc['timestamp']);
  const out: VexStatement[] = [];
  for (const [i, s] of (doc['statements'] as unknown[]).entries()) {
    if (!isJsonObject(s)) {
      throw new InputFileError(
        'POLICY_FILE_INVALID',
        document,
        `statements[${i}] is not an object`,
        {
          remedy: REMEDY,
        },
      );
    }
    const status = s['status'];
    if (typeof status !== 'string' || !OPENVEX_STATUSES.includes(status as VexStatus)) {
      throw new InputFileError(
        'POLICY_FILE_INVALID',
        document,
        `statements[${i}].status ${JSON.stringify(status)} is not one of ${OPENVEX_STATUSES.join(', ')}`,
        { remedy: REMEDY },
      );
    }
    // v0.0.x: "vulnerability": "CVE-…"; v0.2.0: {"name": "CVE-…", "aliases": [...]}.
    const vuln = s['vulnerability'];
    const ids: string[] = [];
    if (typeof vuln === 'string') ids.push(vuln);
    else if (isJsonObject(vuln)) {
      for (const k of ['name', '@id']) if (typeof vuln[k] === 'string') ids.push(vuln[k]);
      if (Array.isArray(vuln['aliases']))
        ids.push(...vuln['aliases'].filter((a): a is string => typeof a === 'string'));
    }
    if (ids.length === 0) {
      throw new InputFileError(
        'POLICY_FILE_INVALID',
        document,
        `statements[${i}] names no vulnerability`,
        {
          remedy: REMEDY,
        },
      );
    }
    const productIds: string[] = [];
    const subIds: string[] = [];
    for (const p of Array.isArray(s['products']) ? s['products'] : []) {
      if (typeof p === 'string') productIds.push(p);
      else if (isJsonObject(p)) {
        if (typeof p['@id'] === 'string') productIds.push(p['@id']);
        const idents = isJsonObject(p['identifiers']) ? p['identifiers'] : {};
        if (typeof idents['purl'] === 'string') productIds.push(idents['purl']);
        for (const sc of Array.isArray(p['subcomponents']) ? p['subcomponents'] : []) {
          if (typeof sc === 'string') subIds.push(sc);
          else if (isJsonObject(sc) && typeof sc['@id'] === 'string') subIds.push(sc['@id']);
        }
      }
    }
    for (const sc of Array.isArray(s['subcomponents']) ? s['subcomponents'] : []) {
      if (typeof sc === 'string') subIds.push(sc);
      else if (isJsonObject(sc) && typeof sc['@id'] === 'string') subIds.push(sc['@id']);
    }
    // With subcomponents, the packages are the subcomponents; the products only scope them.
    const { products, productNames } = splitProducts(subIds.length > 0 ? subIds : productIds);
    const justification = typeof s['justification'] === 'string' ? s['justification'] : undefined;
    const statement =
      typeof s['impact_statement'] === 'string'
        ? s['impact_statement']
        : typeof s['status_notes'] === 'string'
          ? s['status_notes']
          : undefined;
    out.push({
      document,
      ids,
      products,
      productNames,
      status: status as VexStatus,
      timestamp: time(s['timestamp']) || docTime,
      ...(justification && { justification }),
      ...(statement && { statement }),
    });
  }
  return out;
}

const CDX_STATES: Record<string, VexStatus> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

function parseCycloneDxVex(doc: JsonObject, document: string): VexStatement[] {
  const vulns = Array.isArray(doc['vulnerabilities']) ? doc['vulnerabilities'] : [];
  // affects[].ref is a bom-ref; map bom-refs to the components' purls where the doc has them.
  const refToPurl = new Map<string, string>();
  for (const c of Array.isArray(doc['components']) ? doc['components'] : []) {
    if (isJsonObject(c) && typeof c['bom-ref'] === 'string' && typeof c['purl'] === 'string') {
      refToPurl.set(c['bom-ref'], c['purl']);
    }
  }
  const out: VexStatement[] = [];
  for (const v of vulns) {
    if (!isJsonObject(v) || typeof v['id'] !== 'string') continue;
    const analysis = isJsonObject(v['analysis']) ? v['analysis'] : {};
    const status =
      typeof analysis['state'] === 'string' ? CDX_STATES[analysis['state']] : undefined;
    if (!status) continue;
    const refs: string[] = [];
    for (const a of Array.isArray(v['affects']) ? v['affects'] : []) {
      if (isJsonObject(a) && typeof a['ref'] === 'string') {
        // A ref may be a bom-ref or a BOM-Link (urn:cdx:…#ref); keep the part after '#'.
        const ref =
          a['ref'].includes('#') && a['ref'].startsWith('urn:cdx:')
            ? a['ref'].split('#')[1]!
            : a['ref'];
        refs.push(refToPurl.get(ref) ?? ref);
      }
    }
    const { products, productNames } = splitProducts(refs);
    const justification =
      typeof analysis['justification'] === 'string' ? analysis['justification'] : undefined;
    const statement = typeof analysis['detail'] === 'string' ? analysis['detail'] : undefined;
    out.push({
      document,
      ids: [v['id']],
      products,
      productNames,
      status,
      timestamp: 0,
      ...(justification && { justification }),
      ...(statement && { statement }),
    });
  }
  return out;
}

function statementCovers(s: VexStatement, v: Vulnerability): boolean {
  if (!s.ids.includes(v.id)) return false;
  const purl = v.purl ? parsePurl(v.purl) : undefined;
  if (purl && s.products.some((p) => purlMatches(p, purl))) return true;
  // A statement about the whole image / artifact by name (e.g. an image reference).
  return s.productNames.some((n) => n === v.artifact || stripTag(n) === stripTag(v.artifact));
}

function stripTag(ref: string): string {
  return ref.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^/:]+$/, '');
}

/**
 * The statement that decides this vulnerability: the latest applicable one (OpenVEX's rule
 * that a later statement supersedes an earlier one). Undefined when none applies.
 */
export function vexFor(
  statements: readonly VexStatement[],
  v: Vulnerability,
): VexStatement | undefined {
  let best: VexStatement | undefined;
  for (const s of statements) {
    if (statementCovers(s, v) && (best === undefined || s.timestamp >= best.timestamp)) best = s;
  }
  return best;
}
