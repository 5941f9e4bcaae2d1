// The cluster key: 32 random bytes, hex in a file only root can read (like Heartbeat's authkeys, a key readable
// by others is refused).

import { randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";

export function readClusterKey(path: string): Buffer {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error(
      `cluster key ${path} does not exist; create it with \`paceline keygen -o ${path}\` and copy it to every node`,
    );
  }
  if ((st.mode & 0o077) !== 0)
    throw new Error(
      `cluster key ${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
    );
  const text = readFileSync(path, "utf8").trim();
  if (!/^[0-9a-f]{64}$/i.test(text))
    throw new Error(`cluster key ${path} is not 64 hex digits; write a new one with \`paceline keygen -o ${path}\``);
  return Buffer.from(text, "hex");
}

export function writeClusterKey(path: string): void {
  writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
}
