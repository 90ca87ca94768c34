// ESLint for every hand-written file: JavaScript's and typescript-eslint's recommended rules, the
// type-aware rules that catch unhandled promises, and the import fences (scripts/eslint/). Layout is
// Prettier's job (`.prettierrc.json`), so no stylistic rule is enabled here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import marketpulse from './scripts/eslint/plugin.mjs';

export default defineConfig(
  {
    ignores: [
      // Generated code is never edited by hand, so it is not linted either.
      'proto/gen/**',
      'clients/ts/src/generated/**',
      'clients/go/**',
      'clients/python/**',
      '**/dist/**',
      '**/node_modules/**',
      '.tools/**',
      '.run/**',
      '.data/**',
      '.venv*/**',
      'infra/**',
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      parserOptions: {
        // One program over the whole workspace (tsconfig.eslint.json), packages resolved to their sources.
        project: './tsconfig.eslint.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Guards the code already meets: each catches a plain bug the compiler lets through.
      eqeqeq: ['error', 'smart'],
      'no-self-compare': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      '@typescript-eslint/no-array-delete': 'error',
      '@typescript-eslint/no-duplicate-type-constituents': 'error',
      '@typescript-eslint/no-redundant-type-constituents': 'error',
      '@typescript-eslint/no-mixed-enums': 'error',
      '@typescript-eslint/no-unsafe-unary-minus': 'error',
    },
  },
  {
    // Tests and benchmarks read untyped JSON answers and poke at wire shapes on purpose.
    files: ['**/*.test.ts', 'tests/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.mjs'],
    plugins: { marketpulse },
    rules: { 'marketpulse/import-fences': 'error', 'marketpulse/disable-needs-reason': 'error' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
