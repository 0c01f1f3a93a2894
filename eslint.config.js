// @ts-check
import tseslint from 'typescript-eslint'

/**
 * Only the rules that catch real defects, so that `npm test` can run it every time: a promise nobody
 * awaits or catches (its rejection would reach the process-level handler), a promise handed where a
 * callback's result is ignored, and a committed `.only` that would silently skip the rest of a file.
 * Style is left to review. Type-aware: one TypeScript program from tsconfig.check.json.
 */
export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.js'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname }
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/no-misused-promises': 'error',
      'no-restricted-syntax': ['error', {
        selector: "MemberExpression[object.name=/^(describe|it|test|suite)$/][property.name='only']",
        message: 'A committed .only skips every other test in the file.'
      }, {
        selector: "CallExpression[callee.property.name='only'][callee.object.type='MemberExpression'][callee.object.object.name=/^(describe|it|test|suite)$/]",
        message: 'A committed .only skips every other test in the file.'
      }]
    }
  }
)
