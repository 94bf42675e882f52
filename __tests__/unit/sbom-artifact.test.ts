import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  artifactName,
  commonRoot,
  uploadArtifact,
  type ArtifactUploader,
} from '../../src/github/artifact.js';

/** A recording stand-in for @actions/artifact's client (the same one-method protocol). */
function recorder(fail?: Error) {
  const calls: { name: string; files: string[]; root: string; options: unknown }[] = [];
  const uploader: ArtifactUploader = {
    uploadArtifact(name, files, root, options) {
      calls.push({ name, files, root, options });
      return fail
        ? Promise.reject(fail)
        : Promise.resolve({ id: 7, size: 123, digest: 'sha256:abc' });
    },
  };
  return { uploader, calls };
}

describe('artifactName', () => {
  it.each([
    [{ job: 'scan' }, 'supply-chain-guard-scan'],
    [{ job: 'scan', legKey: 'image:ghcr.io/o/app' }, 'supply-chain-guard-scan-image-ghcr.io-o-app'],
    [{ job: 'scan', runAttempt: '1' }, 'supply-chain-guard-scan'],
    [{ job: 'scan', runAttempt: '2' }, 'supply-chain-guard-scan-attempt2'],
    [{ job: 'a"b<c>|d', legKey: 'x\\y?z*' }, 'supply-chain-guard-a-b-c-d-x-y-z'],
  ])('%j → %s', (parts, expected) => {
    expect(artifactName(parts)).toBe(expected);
  });

  it('keeps matrix legs apart even when long keys share a prefix', () => {
    const leg = (os: string) =>
      artifactName({
        job: 'scan',
        legKey: JSON.stringify({ image: 'ghcr.io/octo/very-long-image-name', os }),
      });
    expect(leg('linux')).not.toBe(leg('windows'));
    expect(leg('linux').length).toBeLessThan(80);
    expect(leg('linux')).toBe(leg('linux'));
  });
});

describe('uploadArtifact', () => {
  it('uploads each file once, from their common directory, and returns the id', async () => {
    const { uploader, calls } = recorder();
    const dir = path.resolve('/tmp/scg');
    const files = [
      path.join(dir, 'sbom.cdx.json'),
      path.join(dir, 'results.sarif'),
      path.join(dir, 'reports', 'image.json'),
      path.join(dir, 'sbom.cdx.json'),
    ];
    const out = await uploadArtifact(files, 'supply-chain-guard-scan', {
      uploader,
      retentionDays: 5,
    });
    expect(calls).toEqual([
      {
        name: 'supply-chain-guard-scan',
        files: [
          path.join(dir, 'reports', 'image.json'),
          path.join(dir, 'results.sarif'),
          path.join(dir, 'sbom.cdx.json'),
        ],
        root: dir,
        options: { retentionDays: 5 },
      },
    ]);
    expect(out).toMatchObject({ name: 'supply-chain-guard-scan', id: 7, size: 123 });
  });

  it('uploads nothing when there is nothing to upload', async () => {
    const { uploader, calls } = recorder();
    expect(await uploadArtifact([], 'n', { uploader })).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('a name clash fails with a remedy about matrix legs', async () => {
    const { uploader } = recorder(
      new Error(
        'Failed to CreateArtifact: (409) Conflict: an artifact with this name already exists on the workflow run',
      ),
    );
    await expect(uploadArtifact(['/tmp/x.json'], 'n', { uploader })).rejects.toMatchObject({
      code: 'GITHUB_API_FAILED',
      remedy: expect.stringContaining('comment-key'),
    });
  });

  it('commonRoot of files in one directory is that directory', () => {
    expect(commonRoot([path.resolve('/a/b/c.json'), path.resolve('/a/b/d.json')])).toBe(
      path.resolve('/a/b'),
    );
    expect(commonRoot([path.resolve('/a/b/c.json'), path.resolve('/a/e/d.json')])).toBe(
      path.resolve('/a'),
    );
  });
});
