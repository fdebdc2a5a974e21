// ESLint keeps the form Prettier does not: typescript-eslint's recommended type-checked rules over
// the tool, its replicas, tests and bench.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "replicas/dist/", "test-results/", "playwright-report/", "node_modules/", "replicas/node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ["./tsconfig.json", "./replicas/tsconfig.json"], tsconfigRootDir: import.meta.dirname },
    },
  },
  { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
);
