// Type-aware rules that guard data: a lost `await` on a publish or an ack loses a message.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "docs/**", ".data/**", "**/*.js", "**/*.cjs", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    // One program for the whole workspace (tsconfig.check.json): one type-check shared by every
    // file, instead of one per package (24 programs made `pnpm lint` the slowest CI step).
    languageOptions: { parserOptions: { project: "./tsconfig.check.json", tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@concord/*/src/*", "**/apps/**", "@concord/sandbox-*", "@concord/ingress", "@concord/resolver", "@concord/mapping", "@concord/crm-writer", "@concord/onec-writer"], message: "Apps and sandboxes are never imported; import packages by name only." },
          ],
        },
      ],
    },
  },
);
