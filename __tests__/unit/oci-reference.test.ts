import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  formatReference,
  parseImageReference,
  registryApiHost,
  registryScheme,
  repositoryName,
} from '../../src/oci/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['org/app', { registry: 'docker.io', repository: 'org/app', tag: 'latest' }],
    ['index.docker.io/org/app:1', { registry: 'docker.io', repository: 'org/app', tag: '1' }],
    ['ghcr.io/org/app:v1.2.3', { registry: 'ghcr.io', repository: 'org/app', tag: 'v1.2.3' }],
    ['localhost:5000/app', { registry: 'localhost:5000', repository: 'app', tag: 'latest' }],
    ['127.0.0.1:5000/a/b/c:t', { registry: '127.0.0.1:5000', repository: 'a/b/c', tag: 't' }],
    [`ghcr.io/org/app@${D}`, { registry: 'ghcr.io', repository: 'org/app', digest: D }],
    [`ghcr.io/org/app:1@${D}`, { registry: 'ghcr.io', repository: 'org/app', tag: '1', digest: D }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['localhost/app:dev', { registry: 'localhost', repository: 'app', tag: 'dev' }],
    ['bitnami/nginx:1.27', { registry: 'docker.io', repository: 'bitnami/nginx', tag: '1.27' }],
    [`alpine@${D}`, { registry: 'docker.io', repository: 'library/alpine', digest: D }],
    [
      '127.0.0.1:5000/a/b/c:x_y-z.1',
      { registry: '127.0.0.1:5000', repository: 'a/b/c', tag: 'x_y-z.1' },
    ],
    [
      'registry.example.com:443/my__weird.name/app-x',
      { registry: 'registry.example.com:443', repository: 'my__weird.name/app-x', tag: 'latest' },
    ],
  ])('%s', (input, expected) => {
    expect(parseImageReference(input)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['ghcr.io/Org/app', 'invalid repository'],
    ['ghcr.io/org/app@sha256:abc', 'invalid digest'],
    ['ghcr.io/org/app:-bad', 'invalid tag'],
    ['ghcr.io/org//app', 'invalid repository'],
    ['Alpine', 'invalid repository'],
    ['alpine:', 'invalid tag'],
    [`alpine@sha256:${'A'.repeat(64)}`, 'invalid digest'],
    [`alpine@sha512:${'a'.repeat(128)}`, 'invalid digest'],
    ['ghcr.io/app name', 'whitespace'],
    ['my host.io/app', 'whitespace'],
    ['--privileged', 'cannot start with "-"'],
    ['ghcr.io/-app', 'invalid repository'],
    ['ghcr.io:abc/app', 'invalid registry host "ghcr.io:abc"'],
    ['-registry.io:5000/app', 'cannot start with "-"'],
    ['bad_host.io/app', 'invalid registry host'],
    [`ghcr.io/${'a'.repeat(260)}`, 'longer than 255'],
  ])('rejects %j naming the input', (input, message) => {
    let err: unknown;
    try {
      parseImageReference(input, 'image');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^image: /);
    expect((err as ConfigError).message).toContain(message);
  });

  it('names the input it was given and quotes the reference', () => {
    let err: unknown;
    try {
      parseImageReference('ghcr.io/Owner/App', 'baseline-image');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).input).toBe('baseline-image');
    expect((err as ConfigError).message).toContain('"ghcr.io/Owner/App"');
  });
});

describe('registry helpers', () => {
  it('maps Docker Hub to its API host and cosign name', () => {
    const ref = parseImageReference('salrashid123/server_image');
    expect(registryApiHost(ref)).toBe('registry-1.docker.io');
    expect(repositoryName(ref)).toBe('index.docker.io/salrashid123/server_image');
    expect(registryScheme(ref)).toBe('https');
  });

  it('speaks plain HTTP to loopback only', () => {
    expect(registryScheme({ registry: '127.0.0.1:5000' })).toBe('http');
    expect(registryScheme({ registry: 'localhost:5000' })).toBe('http');
    expect(registryScheme({ registry: 'registry.local:5000' })).toBe('https');
  });

  it('formats digest references in preference to tags', () => {
    expect(formatReference({ registry: 'ghcr.io', repository: 'o/a', tag: '1', digest: D })).toBe(
      `ghcr.io/o/a@${D}`,
    );
    expect(formatReference({ registry: 'ghcr.io', repository: 'o/a', tag: '1' })).toBe(
      'ghcr.io/o/a:1',
    );
  });
});
