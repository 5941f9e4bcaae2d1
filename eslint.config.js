import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import { dirname, relative, resolve } from "node:path";

// The deterministic core (src/core) and the pure modules it may use decide everything; time, randomness and IO
// reach them only as inputs (docs/architecture in shared/ARCHITECTURE.md). These rules make that a build failure.
const PURE = [
  "src/core/**/*.ts",
  "src/util/**/*.ts",
  "src/config/model.ts",
  "src/config/cluster-model.ts",
  "src/config/pacemaker-values.ts",
  "src/config/duration.ts",
  "src/config/lower.ts",
  "src/config/history-table.ts",
];
const TESTS = ["**/*.test.ts"];
/** What pure code may import: itself and the config model (types and plain helpers). */
const ALLOWED = [
  /^src\/core\//,
  /^src\/util\//,
  /^src\/config\/(model|cluster-model|pacemaker-values|duration|lower|history-table)\.(js|ts)$/,
];

const pureImports = {
  meta: {
    type: "problem",
    messages: {
      outside:
        "{{file}} is deterministic code: it may import only src/core, src/util and the config model, not {{target}} (IO and time reach the core as inputs).",
    },
  },
  create(context) {
    const file = relative(process.cwd(), context.filename);
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== "string") return;
      if (source.startsWith("node:") || !source.startsWith(".")) {
        context.report({ node, messageId: "outside", data: { file, target: source } });
        return;
      }
      const target = relative(process.cwd(), resolve(dirname(context.filename), source));
      if (!ALLOWED.some((re) => re.test(target)))
        context.report({ node, messageId: "outside", data: { file, target } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: (node) => check({ ...node, source: node.source }),
    };
  },
};

const clock = "reaches the outside world: deterministic code gets time, timers and randomness as inputs";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "schema/**", "tmp/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Prettier wraps code at 120 columns; sentences in strings stay whole (grep finds them), comments are wrapped.
      "max-len": ["error", { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  {
    files: PURE,
    ignores: TESTS,
    plugins: { paceline: { rules: { "pure-imports": pureImports } } },
    rules: {
      "paceline/pure-imports": "error",
      "no-restricted-globals": [
        "error",
        ...[
          "Date",
          "performance",
          "setTimeout",
          "setInterval",
          "setImmediate",
          "clearTimeout",
          "clearInterval",
          "clearImmediate",
          "queueMicrotask",
          "process",
          "require",
          "fetch",
          "crypto",
        ].map((name) => ({ name, message: `${name} ${clock}` })),
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: `Math.random ${clock} (core/random.ts takes a seed)` },
      ],
    },
  },
);
