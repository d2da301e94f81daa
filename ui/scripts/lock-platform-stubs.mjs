// Keep `npm ci` working with the registry these machines reach: it serves only the current platform's
// native builds (e.g. @rollup/rollup-darwin-arm64 answers 404), so `npm install` leaves other platforms'
// optional packages out of package-lock.json, and `npm ci` then refuses the lock ("Missing: ... from lock
// file"). This script adds a lock entry for every such missing optional dependency with the os/cpu/libc its
// name encodes, so npm skips it on any other platform exactly as it would with a complete lock.
//
// Run after any `npm install` that changes the lock:  node scripts/lock-platform-stubs.mjs
// It changes nothing when the lock is already complete; it fails on a missing optional dependency whose
// platform it cannot tell from the name (then look at it by hand).
import { readFileSync, writeFileSync } from "node:fs";

const LOCK = new URL("../package-lock.json", import.meta.url);
const OS = ["android", "darwin", "freebsd", "linux", "openbsd", "openharmony", "win32", "sunos", "aix", "netbsd"];
const CPU = ["arm64", "arm", "x64", "ia32", "loong64", "ppc64", "riscv64", "s390x", "mips64el", "wasm32"];

/** {os, cpu, libc?} from a native package name like @rollup/rollup-linux-arm-musleabihf. */
export function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const osIndex = parts.findIndex((p) => OS.includes(p));
  if (osIndex < 0) return null;
  const cpu = parts.slice(osIndex + 1).find((p) => CPU.includes(p));
  if (!cpu) return null;
  const abi = parts.slice(osIndex + 2).join("-");
  const out = { os: [parts[osIndex]], cpu: [cpu] };
  if (parts[osIndex] === "linux") {
    if (abi.includes("musl")) out.libc = ["musl"];
    else if (abi.includes("gnu")) out.libc = ["glibc"];
  }
  return out;
}

function main() {
  const lock = JSON.parse(readFileSync(LOCK, "utf-8"));
  const packages = lock.packages;
  const added = [];
  for (const [path, pkg] of Object.entries(packages)) {
    for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
      const base = path ? `${path}/node_modules/${dep}` : `node_modules/${dep}`;
      if (packages[base] || packages[`node_modules/${dep}`]) continue;
      if (dep === "fsevents") continue; // npm already tolerates its absence
      const platform = platformOf(dep);
      if (!platform) throw new Error(`missing optional dependency ${dep}@${version} of ${path || "root"}: platform unknown`);
      packages[`node_modules/${dep}`] = {
        version,
        ...(pkg.dev ? { dev: true } : {}),
        optional: true,
        ...platform,
      };
      added.push(`${dep}@${version}`);
    }
  }
  if (added.length) {
    lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
    writeFileSync(LOCK, JSON.stringify(lock, null, 2) + "\n");
  }
  console.log(added.length ? `added ${added.length} platform stubs: ${added.join(", ")}` : "lock already complete");
}

main();
