// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'public/**',
      'reports/**',
      'test-results/**',
      'playwright-report/**',
      '.stryker-tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // The continual library is pure compute: tfjs-core only, no DOM, no React, no app layers.
    files: ['src/continual/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'react',
                'react-dom',
                'zustand',
                '@tensorflow/tfjs',
                '@tensorflow/tfjs-backend-*',
              ],
              message: 'src/continual uses @tensorflow/tfjs-core only.',
            },
            {
              group: ['../models/*', '../ui/*', '../runtime/*', '../video/*'],
              message: 'src/continual knows no model, screen or backend.',
            },
          ],
        },
      ],
    },
  },
);
