// Publishes the JSON Schema of cluster.yaml (for editor completion) from the compiled schema definition.
import { mkdirSync, writeFileSync } from "node:fs";
import { clusterSchema } from "../dist/src/config/schema.js";

const strip = (s) => JSON.parse(JSON.stringify(s, (k, v) => (k === "x-hint" ? undefined : v)));
mkdirSync(new URL("../schema/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("../schema/cluster.schema.json", import.meta.url),
  JSON.stringify(
    {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "https://paceline.dev/schema/cluster.schema.json",
      title: "Paceline cluster.yaml",
      ...strip(clusterSchema),
    },
    null,
    2,
  ) + "\n",
);
