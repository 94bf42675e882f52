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
    // Layering: pure layers never reach into the runner or the publishers.
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
        { patterns: ['@actions/*', '../github/*', '../main.js', '../index.js'] },
      ],
    },
  },
);
