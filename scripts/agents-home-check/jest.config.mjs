/**
 * Jest config of the manual cluster check (scripts/agents-home-check/real-cluster.manual.ts): not
 * part of `npm test` (the real CLIs are not in CI). See apps/node-agent/src/homes/VERIFIED.md.
 */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' }, module: { type: 'es6' } }];
export default {
  rootDir: '../..',
  roots: ['<rootDir>/scripts/agents-home-check'],
  testMatch: ['<rootDir>/scripts/agents-home-check/*.manual.ts'],
  testTimeout: 300000,
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@shoal/(protocol|scheduler|testing|runtime)$': '<rootDir>/libs/$1/src/index.ts', '^(\\.{1,2}/.*)\\.js$': '$1' },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  testEnvironment: 'node',
};
