// ESLint keeps the form Prettier does not: typescript-eslint's recommended type-checked rules over
// the tool, its replicas, tests and bench.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "replicas/dist/", "test-results/", "playwright-report/", "node_modules/", "replicas/node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ["**/*.ts"] })),
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { project: ["./tsconfig.json", "./replicas/tsconfig.json"], tsconfigRootDir: import.meta.dirname },
    },
  },
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
  {
    // Specs read JSON answers as `any` and let expect() be the check; fakes implement async
    // interfaces with bodies that need no await.
    files: ["tests/**/*.ts", "replicas/tests/**/*.ts"],
    rules: {
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Playwright's fixtures take `{}` when they use no other fixture.
      "no-empty-pattern": "off",
    },
  },
  // Making control characters inert is part of rotate's job: its patterns name them.
  { rules: { "no-control-regex": "off" } },
  // Express's error handlers are told apart by their four parameters.
  { files: ["**/*.ts"], rules: { "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }] } },
  // An abort's reason or a caught error is passed on as it came, not made up.
  {
    files: ["**/*.ts"],
    rules: { "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingAny: true, allowThrowingUnknown: true }] },
  },
);
