import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Layering (DESIGN.md): the pure layers never reach into the runner, the publishers or
    // the orchestration above them; they receive values instead.
    files: [
      'src/render/**',
      'src/policy/**',
      'src/sbom/**',
      'src/trivy/parse.ts',
      'src/trivy/args.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@actions/*',
                '../github/*',
                '../phases/*',
                '../main.js',
                '../index.js',
                '../services.js',
              ],
              message: 'a pure layer (DESIGN.md): pass the value in instead of importing it',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          // import() escapes no-restricted-imports; hold it to the same rule.
          selector:
            'ImportExpression[source.value=/^@actions\\/|\\/(github|phases)\\/|\\/(main|index|services)\\.js$/]',
          message: 'a pure layer (DESIGN.md): pass the value in instead of importing it',
        },
      ],
    },
  },
);
