// Type-aware rules that guard data: a lost `await` on a publish or an ack loses a message.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "docs/**"] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true } },
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
