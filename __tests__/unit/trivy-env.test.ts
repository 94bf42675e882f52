import { describe, expect, it } from 'vitest';
import { trivyChildEnv } from '../../src/trivy/env.js';

describe('trivyChildEnv', () => {
  it('drops inputs, runner service tokens and GitHub tokens; keeps what Trivy needs', () => {
    const env = trivyChildEnv({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      HTTPS_PROXY: 'http://proxy:3128',
      DOCKER_CONFIG: '/home/runner/.docker',
      AWS_ACCESS_KEY_ID: 'AKIA...',
      TRIVY_DB_REPOSITORY: 'mirror/trivy-db:2',
      'INPUT_REGISTRY-PASSWORD': 'secret',
      'INPUT_GITHUB-TOKEN': 'ghs_x',
      ACTIONS_RUNTIME_TOKEN: 'rt',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
      GITHUB_TOKEN: 'ghs_y',
      gh_token: 'ghs_z',
      TRIVY_PASSWORD: 'from-the-runner',
      UNSET: undefined,
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      HTTPS_PROXY: 'http://proxy:3128',
      DOCKER_CONFIG: '/home/runner/.docker',
      AWS_ACCESS_KEY_ID: 'AKIA...',
      TRIVY_DB_REPOSITORY: 'mirror/trivy-db:2',
    });
  });
});
