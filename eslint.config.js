// @ts-check
/**
 * Lint for the whole repository. Besides style and promise hygiene it enforces
 * the Layer Rule (../shared/ARCHITECTURE.md): imports flow toward the engine
 * only. Each layer gets a `no-restricted-imports` block naming what it may not
 * import; test/lint/layerRule.test.ts proves the rule bites. The TypeScript
 * project references enforce the same graph a second time (a file outside a
 * project's references is a type error).
 */
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const LAYERS = ['core', 'shared', 'engine', 'cli', 'main', 'preload', 'renderer'];

/** A relative import that climbs into `layer` (`../engine/x.js`, `../../main`). */
const intoLayer = (layer) => ({
  regex: `^(\\.\\./)+${layer}(/|$)`,
  message: `This layer may not import from src/${layer} (see the Layer Rule in ARCHITECTURE.md).`,
});
const intoSandbox = {
  regex: '^(\\.\\./)+sandbox(/|$)',
  message: 'Nothing in src/ may import the sandbox: it is never shipped.',
};
const noElectron = {
  name: 'electron',
  message: 'electron may only be imported in src/main and src/preload; this layer runs in plain Node or the browser.',
};
const noNpmOrNode = {
  regex: '^[^.]',
  message: 'This layer is pure: it imports nothing outside its own folder (no node:*, no npm packages).',
};

/**
 * @param {string} layer the folder under src/
 * @param {{ allowLayers: string[], pure?: boolean, electron?: boolean }} rules
 */
function layerRule(layer, rules) {
  const forbidden = LAYERS.filter((other) => other !== layer && !rules.allowLayers.includes(other));
  const patterns = [...forbidden.map(intoLayer), intoSandbox];
  if (rules.pure === true) patterns.push(noNpmOrNode);
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: rules.electron === true ? [] : [noElectron], patterns },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'infra/cdk.out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // File names and S3 keys may contain control characters; matching them is the point.
      'no-control-regex': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  layerRule('core', { allowLayers: [], pure: true }),
  layerRule('shared', { allowLayers: [], pure: true }),
  layerRule('engine', { allowLayers: ['core', 'shared'] }),
  layerRule('cli', { allowLayers: ['core', 'shared', 'engine'] }),
  layerRule('main', { allowLayers: ['core', 'shared', 'engine'], electron: true }),
  layerRule('preload', { allowLayers: ['shared'], electron: true }),
  layerRule('renderer', { allowLayers: ['shared'], pure: true }),
);
