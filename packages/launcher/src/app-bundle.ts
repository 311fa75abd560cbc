// Each app as one prebuilt CommonJS file, for runs that start many systems (the e2e tests, the
// chaos suite). Under `node --import tsx` every process resolves and loads each of its few
// hundred modules through tsx's loader: about 2 CPU-seconds a process, and a system is 13
// processes. Loading one bundle takes about a quarter of that, and on 2 cores that CPU is the
// tests' wall time. The code is the same source, compiled by the same esbuild tsx uses.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, extname, join, relative, resolve } from "node:path";
import { build, type Loader, type Plugin } from "esbuild";

const root = resolve(__dirname, "..", "..", "..");
const cacheDir = join(root, "node_modules", ".cache", "concord-apps");
const exitWithParent = join(__dirname, "exit-with-parent.ts");
/** Part of every build's key: a change here (or to the options below) builds afresh. */
const recipe = "cjs-node20-keepnames-dirname-v1";

interface Manifest {
  id: string;
  apps: string[];
  /** Hash of pnpm-lock.yaml: what node_modules held when it was built. */
  lock: string;
  /** Hash of each workspace file a bundle contains (node_modules paths carry their version). */
  inputs: Record<string, string>;
}

const sha1 = (data: string | Buffer) => createHash("sha1").update(data).digest("hex");

function readManifest(): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(cacheDir, "current.json"), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

function lockHash(): string {
  const lockfile = join(root, "pnpm-lock.yaml");
  return existsSync(lockfile) ? sha1(readFileSync(lockfile)) : "";
}

function isFresh(manifest: Manifest, apps: readonly string[]): boolean {
  if (manifest.lock !== lockHash()) return false;
  if (!apps.every((app) => manifest.apps.includes(app) && existsSync(join(cacheDir, manifest.id, `${app}.cjs`)))) return false;
  for (const [file, hash] of Object.entries(manifest.inputs)) {
    try {
      if (sha1(readFileSync(join(root, file))) !== hash) return false;
    } catch {
      return false;
    }
  }
  return true;
}

const loaders: Record<string, Loader> = { ".ts": "ts", ".tsx": "tsx", ".js": "js", ".cjs": "js", ".mjs": "js", ".json": "json" };

/**
 * Loads the workspace's own files (not node_modules) so that each is hashed as it is read, and so
 * that `__dirname` and `__filename` keep meaning the source file's place (packages/db finds its
 * migrations, packages/policy its default policy file by them), not the bundle's.
 */
function workspaceFiles(inputs: Record<string, string>): Plugin {
  return {
    name: "concord-workspace-files",
    setup(b) {
      b.onLoad({ filter: /.*/ }, (args) => {
        const loader = loaders[extname(args.path)];
        if (args.namespace !== "file" || !loader || args.path.includes("/node_modules/")) return undefined;
        const raw = readFileSync(args.path);
        inputs[relative(root, args.path)] = sha1(raw);
        const contents = raw
          .toString("utf8")
          .replace(/\b__dirname\b/g, JSON.stringify(dirname(args.path)))
          .replace(/\b__filename\b/g, JSON.stringify(args.path));
        return { contents, loader };
      });
    },
  };
}

/** `concord-app:<dir>`: the app's `src/main.ts`, after exit-with-parent.ts as `--import` would load it. */
const appEntries: Plugin = {
  name: "concord-app-entries",
  setup(b) {
    b.onResolve({ filter: /^concord-app:/ }, (args) => ({ path: args.path.slice("concord-app:".length), namespace: "concord-app" }));
    b.onLoad({ filter: /.*/, namespace: "concord-app" }, (args) => ({
      contents: `import ${JSON.stringify(exitWithParent)};\nimport ${JSON.stringify(join(args.path, "src", "main.ts"))};\n`,
      resolveDir: args.path,
      loader: "ts",
    }));
  },
};

/** Removes builds other than the current one that nobody has used for a day (a running system may still load its own). */
function prune(keep: string): void {
  const dayAgo = Date.now() - 86_400_000;
  for (const entry of readdirSync(cacheDir)) {
    if (entry === keep || entry === "current.json") continue;
    const path = join(cacheDir, entry);
    try {
      if (statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process pruned it first.
    }
  }
}

/**
 * The bundle of each app (`<name>.cjs`, keyed by the app directory's name), rebuilt when any
 * workspace file in it has changed. Safe to call from several processes at once: a build goes to
 * a directory of its own and becomes current by a rename.
 */
export async function bundleApps(appDirs: readonly string[]): Promise<Map<string, string>> {
  const apps = appDirs.map((dir) => relative(join(root, "apps"), dir));
  const paths = (id: string) => new Map(appDirs.map((dir, i) => [dir, join(cacheDir, id, `${apps[i]}.cjs`)]));
  const current = readManifest();
  if (current && isFresh(current, apps)) return paths(current.id);

  mkdirSync(cacheDir, { recursive: true });
  const inputs: Record<string, string> = {};
  const staging = join(cacheDir, `.staging-${process.pid}-${Date.now()}`);
  await build({
    absWorkingDir: root,
    entryPoints: appDirs.map((dir, i) => ({ in: `concord-app:${dir}`, out: apps[i] ?? "" })),
    outdir: staging,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // Error classes and handlers keep the names they have in the source (logs, `error.name`).
    keepNames: true,
    sourcemap: "linked",
    logLevel: "silent",
    plugins: [appEntries, workspaceFiles(inputs)],
  });
  const sorted = Object.fromEntries(Object.entries(inputs).sort(([a], [b]) => a.localeCompare(b)));
  const lock = lockHash();
  const id = sha1(JSON.stringify({ recipe, lock, apps, sorted })).slice(0, 16);
  const target = join(cacheDir, id);
  if (existsSync(target)) rmSync(staging, { recursive: true, force: true });
  else renameSync(staging, target);
  const manifest: Manifest = { id, apps, lock, inputs: sorted };
  const tmp = join(cacheDir, `.current-${process.pid}-${Date.now()}.json`);
  writeFileSync(tmp, JSON.stringify(manifest));
  renameSync(tmp, join(cacheDir, "current.json"));
  prune(id);
  return paths(id);
}
