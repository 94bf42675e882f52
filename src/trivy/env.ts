/**
 * The environment Trivy runs with: the runner's, minus what Trivy has no use for and an
 * attacker would want. The March 2026 malicious Trivy release read runner memory and
 * environment for credentials; a verified binary should still not be handed the action's
 * inputs (`INPUT_*` holds registry-password and github-token), the runner's service tokens
 * (`ACTIONS_*`: cache, artifacts, OIDC) or GitHub tokens. Cloud credentials (AWS_*, GOOGLE_*,
 * AZURE_*) and DOCKER_CONFIG stay: Trivy needs them to pull from ECR, GAR and ACR. Pure.
 */

const DROPPED_PREFIXES = ['INPUT_', 'ACTIONS_'];
const DROPPED_NAMES = ['GITHUB_TOKEN', 'GH_TOKEN', 'TRIVY_USERNAME', 'TRIVY_PASSWORD'];

export function trivyChildEnv(
  parent: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    const upper = name.toUpperCase();
    if (DROPPED_PREFIXES.some((p) => upper.startsWith(p)) || DROPPED_NAMES.includes(upper))
      continue;
    out[name] = value;
  }
  return out;
}
