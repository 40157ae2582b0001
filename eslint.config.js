import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Module boundaries (README of each folder). A file matched by several blocks gets the rule of the
// last one (flat config replaces a rule, it does not merge it), so every block repeats the ARI pattern
// except app/ari/, the one folder that talks to Asterisk (its websocket with `ws`, REST with fetch).
const ariClient = {
  group: ["ari-client", "ws"],
  message: "Only app/ari/ talks to ARI (websocket and REST; see app/README.md).",
};
const noWorkers = {
  group: ["**/workers/**"],
  message: "app/ never imports workers/: shared code lives in core/.",
};
const noApp = {
  group: ["**/app/**"],
  message: "workers/ never imports app/ (nor ARI): shared code lives in core/.",
};
const restrict = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

export default tseslint.config(
  { ignores: ["node_modules/**", "coverage/**", ".testbed/**", "dist/**", "release/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["core/**/*.ts"],
    rules: restrict(ariClient, {
      group: ["**/app/**", "**/workers/**", "**/emulator/**"],
      message: "core/ imports neither app/, workers/ nor emulator/ (see core/README.md).",
    }),
  },
  { files: ["workers/**/*.ts"], rules: restrict(ariClient, noApp) },
  { files: ["app/**/*.ts"], rules: restrict(ariClient, noWorkers) },
  { files: ["app/ari/**/*.ts"], rules: restrict(noWorkers) },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // The dashboard page runs in the browser, with uPlot loaded before it by a script tag.
    files: ["app/dashboard/page/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: Object.fromEntries(
        ["window", "document", "fetch", "setInterval", "Node", "uPlot", "encodeURIComponent"].map((g) => [
          g,
          "readonly",
        ]),
      ),
    },
  },
);
