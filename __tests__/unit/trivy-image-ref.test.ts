import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { formatImageRef, parseImageRef, validateImageInput } from '../../src/trivy/image-ref.js';

describe('parseImageRef accepts', () => {
  it.each([
    ['alpine', 'docker.io/library/alpine:latest'],
    ['alpine:3.20', 'docker.io/library/alpine:3.20'],
    ['index.docker.io/library/alpine:3', 'docker.io/library/alpine:3'],
    ['bitnami/nginx:1.27', 'docker.io/bitnami/nginx:1.27'],
    ['ghcr.io/owner/app:v1.2.3', 'ghcr.io/owner/app:v1.2.3'],
    ['localhost:5000/team/app', 'localhost:5000/team/app:latest'],
    ['localhost/app:dev', 'localhost/app:dev'],
    ['127.0.0.1:5000/a/b/c:x_y-z.1', '127.0.0.1:5000/a/b/c:x_y-z.1'],
    [`alpine@sha256:${'a'.repeat(64)}`, `docker.io/library/alpine@sha256:${'a'.repeat(64)}`],
    [`ghcr.io/o/app:1.0@sha256:${'0'.repeat(64)}`, `ghcr.io/o/app:1.0@sha256:${'0'.repeat(64)}`],
    [
      'registry.example.com:443/my__weird.name/app-x',
      'registry.example.com:443/my__weird.name/app-x:latest',
    ],
  ])('%s → %s', (input, canonical) => {
    const r = parseImageRef(input);
    expect(r.ok).toBe(true);
    if (r.ok) expect(formatImageRef(r.value)).toBe(canonical);
  });
});

describe('parseImageRef rejects', () => {
  it.each([
    ['', /empty/],
    ['Alpine', /not a registry host|repository component/],
    ['alpine:', /not a valid tag/],
    ['alpine:-bad', /not a valid tag/],
    ['alpine@sha256:abc', /not a digest|sha256/],
    [`alpine@sha256:${'A'.repeat(64)}`, /sha256 digest/],
    ['ghcr.io//app', /empty component/],
    ['ghcr.io/app name', /whitespace/],
    ['--privileged', /cannot start with "-"/],
    ['ghcr.io/-app', /repository component/],
    [`ghcr.io/${'a'.repeat(260)}`, /longer than 255/],
  ])('%j', (input, message) => {
    const r = parseImageRef(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

describe('validateImageInput', () => {
  it('throws a ConfigError naming the input and quoting the reference', () => {
    let caught: unknown;
    try {
      validateImageInput('baseline-image', 'ghcr.io/Owner/App');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).input).toBe('baseline-image');
    expect((caught as ConfigError).message).toContain('"ghcr.io/Owner/App"');
  });
});
